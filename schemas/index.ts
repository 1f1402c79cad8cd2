/** The hub's wire contract, shared by the server and its clients. */
export * from './common';
export * from './partners';
export * from './indicators';
export * from './patterns';
export * from './feed';
export * from './lookup';
export * from './ws';
export * from './trust';
