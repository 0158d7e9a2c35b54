// Contract suites run against every implementation: response stores and balancers.
import { memoryResponseStore, createBalancer, BALANCER_NAMES } from '../src/gateway/index.js';
import { responseStoreContract } from '../src/gateway/cache/response-store.contract.js';
import { balancerContract } from '../src/gateway/proxy/balancers/balancer.contract.js';

responseStoreContract('memory store', () => memoryResponseStore({ maxBytes: 1 << 20 }));
for (const name of BALANCER_NAMES) balancerContract(name, (all) => createBalancer(name, all));
