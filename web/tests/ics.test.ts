import { describe, expect, it } from 'vitest';
import { bookingIcs, escapeText, fold, icsFileName, utcStamp } from '../src/lib/ics';

const booking = {
  id: '6f1c1b0e-2d5a-4e55-9d7e-0b6c7b0a1f10',
  start: Date.parse('2026-12-04T13:00:00+01:00'),
  end: Date.parse('2026-12-04T15:30:00+01:00'),
  summary: 'Parking B1-05',
  location: 'Spot B1-05, level -1',
};

describe('bookingIcs', () => {
  const text = bookingIcs(booking, Date.parse('2026-12-03T09:15:07.250Z'));
  const lines = text.split('\r\n');

  it('ends every line with CRLF and nothing bare', () => {
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('is one VEVENT in a VCALENDAR 2.0', () => {
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines).toContain('VERSION:2.0');
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
    expect(lines.at(-2)).toBe('END:VCALENDAR');
    expect(lines.some((l) => l.startsWith('PRODID:'))).toBe(true);
  });

  it('uses the UID the feed gives the reservation', () => {
    expect(lines).toContain(`UID:${booking.id}@parkshare`);
  });

  it('writes the times in UTC', () => {
    expect(lines).toContain('DTSTART:20261204T120000Z');
    expect(lines).toContain('DTEND:20261204T143000Z');
    expect(lines).toContain('DTSTAMP:20261203T091507Z');
  });

  it('escapes text', () => {
    expect(lines).toContain('LOCATION:Spot B1-05\\, level -1');
    expect(lines).toContain('SUMMARY:Parking B1-05');
  });

  it('leaves LOCATION out when there is none', () => {
    expect(bookingIcs({ ...booking, location: undefined })).not.toContain('LOCATION');
  });
});

describe('escapeText', () => {
  it('escapes backslashes, semicolons, commas and newlines', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf')).toBe('a\\\\b\\;c\\,d\\ne\\nf');
  });
});

describe('fold', () => {
  it('leaves a short line alone', () => {
    expect(fold('SUMMARY:short')).toBe('SUMMARY:short');
  });

  it('folds at 75 octets without splitting a character', () => {
    const line = `SUMMARY:${'é'.repeat(60)}`;
    const parts = fold(line).split('\r\n');
    const encoder = new TextEncoder();
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(encoder.encode(part).length).toBeLessThanOrEqual(75);
    expect(parts.slice(1).every((p) => p.startsWith(' '))).toBe(true);
    expect(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join('')).toBe(line);
  });
});

describe('utcStamp and icsFileName', () => {
  it('formats an instant as a UTC DATE-TIME', () => {
    expect(utcStamp(Date.parse('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });

  it('names the file after the spot and the day', () => {
    expect(icsFileName('B1 / 05', booking.start)).toBe('parking-B1-05-2026-12-04.ics');
  });
});
