import type { HubOptions } from '@tidings/core';

/**
 * The hub every tidings target runs: anonymous clients, and limits raised above the benchmark's
 * 10,000 connections from one address (the defaults would refuse them, which is their job).
 * Everything else is the default an application gets.
 */
export const benchHubOptions: HubOptions = {
  anonymous: true,
  maxConnections: 1_000_000,
  maxConnectionsPerIp: 1_000_000,
  maxConnectionsPerUser: 1_000_000,
};
