// The standard gRPC health service (grpc/health/v1/health.proto) for probes such as
// grpc-health-probe: "" is the whole server; each served service by its full name.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';
import type { DescService } from '@bufbuild/protobuf';
import { buildFile, enumType, message, service } from './rpc-descriptors.js';

export const healthFile = buildFile(
  'grpc/health/v1/health.proto',
  'grpc.health.v1',
  [
    message('HealthCheckRequest', [['service', 1, 'string']]),
    message('HealthCheckResponse', [['status', 1, 'enum:.grpc.health.v1.HealthCheckResponse.ServingStatus']], {
      enumType: [enumType('ServingStatus', ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'])],
    }),
  ],
  [
    service('Health', [
      ['Check', '.grpc.health.v1.HealthCheckRequest', '.grpc.health.v1.HealthCheckResponse'],
      ['Watch', '.grpc.health.v1.HealthCheckRequest', '.grpc.health.v1.HealthCheckResponse', 'server'],
    ]),
  ],
);
export const HealthService = healthFile.registry.getService('grpc.health.v1.Health')!;

const SERVING = 1;
const NOT_SERVING = 2;
const SERVICE_UNKNOWN = 3;

/**
 * @example
 * router.service(HealthService, healthHandlers({ ready: () => readiness.phase === 'ready', services: () => names }));
 */
export function healthHandlers(deps: { ready: () => boolean; services: () => readonly string[] }): ServiceImpl<DescService> {
  const status = (svc: string): number | undefined => {
    if (svc !== '' && !deps.services().includes(svc)) return undefined;
    return deps.ready() ? SERVING : NOT_SERVING;
  };
  return {
    async check(req: { service: string }) {
      const s = status(req.service);
      if (s === undefined) throw new ConnectError(`unknown service ${req.service.slice(0, 200)}`, Code.NotFound);
      return { status: s };
    },
    // Sends the status now and whenever it changes (checked each second) until the client leaves.
    async *watch(req: { service: string }, ctx: HandlerContext) {
      let last = -1;
      while (!ctx.signal.aborted) {
        const s = status(req.service) ?? SERVICE_UNKNOWN;
        if (s !== last) yield { status: (last = s) };
        // timers/promises removes its abort listener when the timer fires: none pile up on a long watch
        await sleep(1000, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    },
  } as unknown as ServiceImpl<DescService>;
}
