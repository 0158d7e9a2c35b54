/** @module The edge: HTTP/1.1, HTTPS + HTTP/2 listeners, TLS, limits, request ids, security headers, problem+json errors. */
export { Edge, resolveTlsFiles, type EdgeOptions, type TlsFiles } from './edge.js';
export { buildApp, requestId, type RawHandler } from './app.js';
export { errorHandler, handleError, problemFor, replyError, sendProblem, PROBLEM_TYPES, PROBLEM_CONTENT_TYPE } from './problem.js';
export { ensureDevCertificate, type DevCertificate } from './tls-cert.js';
export { TLS12_CIPHERS, TLS13_CIPHERS } from './tls.js';
