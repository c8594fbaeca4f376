// One booking as an iCalendar file (RFC 5545), made in the browser for "Add to my calendar".
// Its UID is the one the server's feed gives the same reservation (`<id>@parkshare`), so a
// calendar holding both keeps one event.

export interface IcsBooking {
  id: string;
  /** Instants, in milliseconds. */
  start: number;
  end: number;
  summary: string;
  location?: string;
}

const PRODID = '-//parkshare//booking//EN';

/** TEXT escaped as RFC 5545 3.3.11 asks: backslash, semicolon, comma, and newlines. */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** A UTC DATE-TIME: 20261204T130000Z. */
export function utcStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

const encoder = new TextEncoder();

/** A content line folded at 75 octets (RFC 5545 3.1), never inside a character. */
export function fold(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    // Continuation lines start with a space, which counts towards their 75.
    const limit = parts.length === 0 ? 75 : 74;
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

export function bookingIcs(booking: IcsBooking, stamp: number = Date.now()): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    'CALSCALE:GREGORIAN',
    'BEGIN:VEVENT',
    `UID:${booking.id}@parkshare`,
    `DTSTAMP:${utcStamp(stamp)}`,
    `DTSTART:${utcStamp(booking.start)}`,
    `DTEND:${utcStamp(booking.end)}`,
    `SUMMARY:${escapeText(booking.summary)}`,
    ...(booking.location ? [`LOCATION:${escapeText(booking.location)}`] : []),
    // A booking not yet changed, as the feed counts its SEQUENCE.
    'SEQUENCE:0',
    'STATUS:CONFIRMED',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}

/** A file name for the booking's .ics: `parking-B1-05-2026-12-04.ics`. */
export function icsFileName(label: string, start: number): string {
  const safe = label.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'spot';
  return `parking-${safe}-${new Date(start).toISOString().slice(0, 10)}.ics`;
}

/** Has the browser save `text` as `name`. */
export function downloadIcs(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/calendar;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked on the next turn: the click's download has taken the URL by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
