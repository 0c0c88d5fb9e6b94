/** One team's score, as the scoreboard publishes it on `scores`. */
export interface Score {
  team: string;
  points: number;
  /** A commentator's note. Default: none. */
  comment?: string;
}

/** The scoreboard's topics, for `createHub`, `createTestHub` and `createClient`. */
export type Topics = { scores: Score };
