import { type Agent, request } from 'node:http';

/** A finished answer read with node:http (used where fetch's pooling cannot be controlled). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** `GET url` through `agent`; resolves with the whole answer, or status 0 when the connection failed (never rejects). */
export function httpGet(url: string, headers: Record<string, string>, agent: Agent): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request(url, { headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (error) => resolve({ status: 0, headers: {}, body: String(error) }));
    });
    req.on('error', (error) => resolve({ status: 0, headers: {}, body: String(error) }));
    req.end();
  });
}
