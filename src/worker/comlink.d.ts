// Comlink's package has no "exports" map and its "main" is a UMD build whose named exports
// Node's ES module loader cannot see, so src/worker imports its ES module files by path; these
// declarations give those paths the package's own types.
declare module 'comlink/dist/esm/comlink.mjs' {
  export * from 'comlink';
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    postMessage(message: any, transfer?: any[]): void; // eslint-disable-line @typescript-eslint/no-explicit-any
    on(type: string, listener: (value: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
    off(type: string, listener: (value: any) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
    start?: () => void;
  }
  export default function nodeEndpoint(endpoint: NodeEndpoint): Endpoint;
}
