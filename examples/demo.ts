/**
 * Placeholder for the end-to-end demo (`npm start`); the real demo replaces it.
 *
 * @module
 */
console.log("demo placeholder");
