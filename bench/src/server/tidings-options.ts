import type { HubOptions } from '@tidings/core';

/**
 * The hub every tidings target runs: anonymous clients, and limits raised above the benchmark's
 * 10,000 connections from one address, opened as fast as they go (the defaults would refuse them,
 * or admit 1000 a second, which is their job). Everything else is the default an application gets.
 */
export const benchHubOptions: HubOptions = {
  anonymous: true,
  maxConnections: 1_000_000,
  maxConnectionsPerIp: 1_000_000,
  maxConnectionsPerUser: 1_000_000,
  maxConnectionsPerSecond: 1_000_000,
};
