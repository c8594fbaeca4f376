import { describe, expect, it } from 'vitest';
import { prefixesFor } from '../src/data/keys';
import {
  creditsFor,
  notificationOf,
  parseEvent,
  topicsFor,
  type LiveEvent,
} from '../src/live/events';

const me = { userId: 'u-me', mySpotIds: new Set(['s-mine']) };
const reservation = (user: string, spot: string) => ({
  id: 'r1',
  spot_id: spot,
  user_id: user,
  start: 'x',
  end: 'y',
  status: 'booked',
  cost: 3,
});
const ev = (type: string, data: Record<string, unknown>): LiveEvent => ({
  id: '1-0',
  type,
  building_id: 'b',
  at: '2026-12-01T10:00:00Z',
  data,
});
const topics = (e: LiveEvent) => [...topicsFor(e, me)].sort();

describe('which screens an event changes', () => {
  it('a booking of someone else’s spot by someone else changes the garage, not my page', () => {
    expect(
      topics(ev('reservation.created', { reservation: reservation('u-other', 's-other') })),
    ).toEqual(['residents', 'spots', 'utilization']);
  });

  it('my own booking, or a booking of my spot, changes my page too', () => {
    expect(
      topics(ev('reservation.created', { reservation: reservation('u-me', 's-other') })),
    ).toContain('me');
    expect(
      topics(ev('reservation.cancelled', { reservation: reservation('u-other', 's-mine') })),
    ).toContain('me');
  });

  it('a start or an end moves the garage, and my page only when it is mine', () => {
    expect(
      topics(ev('reservation.started', { reservation: reservation('u-other', 's-other') })),
    ).toEqual(['spots']);
    expect(
      topics(ev('reservation.ended', { reservation: reservation('u-me', 's-other') })),
    ).toEqual(['me', 'spots']);
  });

  it('settlement changes ledgers, not the garage', () => {
    expect(
      topics(ev('reservation.settled', { reservation: reservation('u-other', 's-mine') })),
    ).toEqual(['ledger', 'me', 'residents']);
  });

  it('availability changes the garage and the usage chart', () => {
    expect(
      topics(
        ev('availability.changed', { spot_id: 's-other', start: 'a', end: 'b', available: true }),
      ),
    ).toEqual(['spots', 'utilization']);
  });

  it('a spot update touches my page only for my own spot', () => {
    expect(
      topics(ev('spot.updated', { spot: { id: 's-other', owner: { id: 'u-other' } } })),
    ).toEqual(['residents', 'spots']);
    expect(topics(ev('spot.updated', { spot: { id: 's-mine', owner: { id: 'u-me' } } }))).toContain(
      'me',
    );
  });

  it('a notification refreshes the bell alone, not the garage or my page', () => {
    const created = ev('notification.created', {
      notification: { id: 7, kind: 'spot.booked', read: false },
    });
    expect(topics(created)).toEqual(['notifications']);
    expect(notificationOf(created)?.id).toBe(7);
    expect(notificationOf(ev('notification.created', { notification: 'x' }))).toBeNull();
    expect(notificationOf(ev('spot.updated', { notification: { id: 1 } }))).toBeNull();
  });

  it('credits.changed updates my balance only when it is mine', () => {
    expect(creditsFor(ev('credits.changed', { user_id: 'u-me', credits: 47 }), me)).toBe(47);
    expect(creditsFor(ev('credits.changed', { user_id: 'u-other', credits: 47 }), me)).toBeNull();
    expect(topics(ev('credits.changed', { user_id: 'u-me', credits: 47 }))).toEqual([
      'ledger',
      'me',
      'residents',
    ]);
  });

  it('an unknown type refreshes what a resident looks at most', () => {
    expect(topics(ev('spot.renamed', {}))).toEqual(['me', 'spots']);
  });

  it('topics map to the cache keys of the screens', () => {
    expect(prefixesFor(['spots', 'me'])).toEqual(['spots:', 'me']);
  });
});

describe('socket messages', () => {
  it('reads an Event and ignores the pong and garbage', () => {
    expect(
      parseEvent(
        '{"id":"1-0","type":"spot.updated","building_id":"b","at":"t","data":{"spot":{}}}',
      ),
    ).toMatchObject({ id: '1-0', type: 'spot.updated' });
    expect(parseEvent('{"type":"pong"}')).toBeNull();
    expect(parseEvent('not json')).toBeNull();
    expect(parseEvent('[1,2]')).toBeNull();
  });
});
