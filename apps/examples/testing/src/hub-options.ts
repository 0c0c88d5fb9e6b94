import type { HubOptions } from '@tidings/core';

/**
 * The scoreboard's hub: anyone may watch, only the server publishes (the hub's default rule), and a
 * viewer whose connection falls 256 KiB behind is cut as a slow consumer (it reconnects and resumes
 * from its cursor) so that it never holds the others back.
 */
export const SCOREBOARD_HUB_OPTIONS = {
  anonymous: true,
  maxBufferedBytes: 262_144,
} as const satisfies HubOptions;
