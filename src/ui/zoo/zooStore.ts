// Forwarding stub: the zoo builder's store moved to ui/store/zooStore.ts. Kept only because
// ui/run/workerHost.ts still imports loadBuiltModel from here and ui/run is being edited elsewhere;
// delete this file once that import points at ../store/zooStore.
export { loadBuiltModel } from '../store/zooStore';
