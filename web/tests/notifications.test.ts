import { describe, expect, it } from 'vitest';
import type { Notification, Notifications } from '../src/api/types';
import { withArrived, withRead } from '../src/lib/notifications';

function note(id: number, read = false): Notification {
  return {
    id,
    kind: 'spot.booked',
    at: '2026-12-02T10:00:00Z',
    read,
    title: 'Your spot was booked',
    body: 'Spot B1-05, Thu 3 Dec 09:00–11:00.',
    data: {},
  };
}

const list = (unread: number, ...notes: Notification[]): Notifications => ({
  notifications: notes,
  unread,
});

describe('withArrived', () => {
  it('puts a new one first and counts it unread', () => {
    const next = withArrived(list(1, note(2), note(1, true)), note(3));
    expect(next.notifications.map((n) => n.id)).toEqual([3, 2, 1]);
    expect(next.unread).toBe(2);
  });

  it('counts an event that arrives twice once', () => {
    const once = withArrived(list(0), note(5));
    expect(withArrived(once, note(5))).toBe(once);
    expect(once.unread).toBe(1);
  });

  it('keeps newest first when a replayed older one arrives late', () => {
    const next = withArrived(list(1, note(9)), note(7));
    expect(next.notifications.map((n) => n.id)).toEqual([9, 7]);
  });
});

describe('withRead', () => {
  it('marks the given ones and lowers the count by those that were unread', () => {
    const next = withRead(list(3, note(3), note(2), note(1, true)), [2, 1]);
    expect(next.notifications.map((n) => n.read)).toEqual([false, true, true]);
    expect(next.unread).toBe(2);
  });

  it('all: every one read and the count to zero, beyond the page too', () => {
    const next = withRead(list(40, note(2), note(1)), 'all');
    expect(next.unread).toBe(0);
    expect(next.notifications.every((n) => n.read)).toBe(true);
  });

  it('leaves the list as it was when nothing changes', () => {
    const before = list(0, note(1, true));
    expect(withRead(before, [1])).toBe(before);
  });
});
