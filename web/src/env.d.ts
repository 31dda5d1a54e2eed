/// <reference types="vite/client" />

// The SDK reads HADOOP_ECO_* settings from `process.env` where there is one (Node); in the
// browser it checks `typeof process` first. This declares only what that check touches.
declare const process: { env: Record<string, string | undefined> }
