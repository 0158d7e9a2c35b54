// Contract suites run against every implementation: response stores and balancers.
import { memoryResponseStore, cacheResponseStore, createBalancer, BALANCER_NAMES } from '../src/gateway/index.js';
import { createCache, memoryStore } from '../src/cache/index.js';
import { responseStoreContract } from '../src/gateway/cache/response-store.contract.js';
import { balancerContract } from '../src/gateway/proxy/balancers/balancer.contract.js';

responseStoreContract('memory store', () => memoryResponseStore({ maxBytes: 1 << 20 }));
responseStoreContract('cache-backed store (cache capability, memory engine)', () => cacheResponseStore(createCache(memoryStore())));
responseStoreContract('cache-backed store, long keys hashed', () => {
  const s = cacheResponseStore(createCache(memoryStore()), { prefix: `gw:${'x'.repeat(600)}:` });
  return s;
});
for (const name of BALANCER_NAMES) balancerContract(name, (all) => createBalancer(name, all));
