/**
 * `@tidings/core/protocol`: the wire contract as code — message types, the codec, topic rules,
 * error codes and SSE framing and parsing. Dependency-free; the client imports only this.
 */

export {
  type DecodeResult,
  decodeClientMessage,
  encodeEnvelope,
  encodeServerMessage,
  toEventMessage,
  toJson,
} from './codec.ts';
export {
  CLOSE_CODES,
  ERROR_CODES,
  type ErrorCode,
  type ErrorCodeInfo,
  isErrorCode,
  type Recovery,
} from './codes.ts';
export {
  type ClientMessage,
  type CloseNotice,
  DEFAULT_EVENT,
  type Envelope,
  MAX_TOKEN_LENGTH,
  type PollResponse,
  type ServerMessage,
} from './messages.ts';
export { PRESENCE_EVENTS, type PresenceData, RESERVED_EVENT_PREFIX } from './presence.ts';
export { sseCloseFrame, sseComment, sseControlFrame, sseEventFrame, sseOpening } from './sse.ts';
export { createSseParser, type SseMessage, type SseParser, type SseParserHandlers } from './sse-parser.ts';
export {
  isValidEventName,
  isValidIdempotencyKey,
  isValidTopic,
  MAX_TOPIC_LENGTH,
  parseTopicList,
} from './topics.ts';
