/** The part of CryptoJS 3.1.2 (what AutobahnJS 0.8 bundles) the signature tests use. */
declare module 'crypto-js' {
  interface WordArray {
    toString(encoder?: unknown): string;
  }
  const CryptoJS: {
    HmacSHA256(message: string, key: string | WordArray): WordArray;
    PBKDF2(password: string, salt: string, options: { keySize: number; iterations: number; hasher: unknown }): WordArray;
    algo: { SHA256: unknown };
    enc: { Base64: unknown };
  };
  export default CryptoJS;
}
