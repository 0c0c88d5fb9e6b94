import type { ServerResponse } from 'node:http';
import type { HubAnswer } from '@tidings/core/adapter';

/** Writes a finished hub answer: status, headers and length in one `writeHead`, the text in one `end`. */
export function writeAnswer(res: ServerResponse, answer: HubAnswer): void {
  res
    .writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) })
    .end(answer.body);
}
