// engram's version, written into every weights file's provenance (a test keeps it equal to package.json's).
export const ENGRAM_VERSION = '0.1.0';
