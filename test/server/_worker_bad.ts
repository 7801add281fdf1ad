/** A worker module without a default export factory (listenWorkers must refuse it at start). */
export const notAFactory = 1;
