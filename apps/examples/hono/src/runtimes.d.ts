// The few Bun and Deno globals the entries use, so the example type-checks without @types/bun or
// Deno's own typings (a Bun or Deno project has them).

declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    fetch: (request: Request, server: unknown) => Response | Promise<Response>;
    websocket?: unknown;
    port: number;
    hostname: string;
  }): { port: number; stop(): void };
};

declare const Deno: {
  env: { get(name: string): string | undefined };
  exit(code: number): never;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  serve(
    options: { port: number; hostname: string; onListen?: (address: { port: number }) => void },
    handler: (request: Request, info: unknown) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> };
};
