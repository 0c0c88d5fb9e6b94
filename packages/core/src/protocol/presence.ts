/**
 * Presence on the wire. On a topic with presence on, the hub publishes an event when a user's first
 * connection to the topic opens anywhere in the cluster (`tidings:join`) and when their last one has
 * closed (`tidings:leave`), once per user however many tabs, devices and nodes they use. They are
 * ordinary events of the topic's log: they carry ids, are replayed on resume and reach every
 * transport. Event names starting with `tidings:` are reserved for them: a publish may not use one.
 */

/** The reserved prefix of the event names tidings publishes itself. */
export const RESERVED_EVENT_PREFIX = 'tidings:';

/** The event names of presence events. */
export const PRESENCE_EVENTS: { readonly join: 'tidings:join'; readonly leave: 'tidings:leave' } = {
  join: 'tidings:join',
  leave: 'tidings:leave',
};

/** The `data` of a presence event: whose presence changed (the principal's id). */
export interface PresenceData {
  user: string;
}
