/**
 * The bytes of one unmasked, unfragmented WebSocket text frame carrying `payload` (RFC 6455
 * §5.2): FIN and opcode 1, then the payload length in 7 bits, or 126 and 16 bits, or 127 and 64
 * bits, then the payload. A server's frames are never masked.
 */
export function textFrame(payload: Uint8Array): Buffer {
  const n = payload.length;
  const header = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + n);
  frame[0] = 0x81;
  if (n < 126) frame[1] = n;
  else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  frame.set(payload, header);
  return frame;
}
