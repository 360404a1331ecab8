#!/usr/bin/env node
/**
 * Draws the app icon, resources/icon.png (512x512 RGBA), with no dependencies: a prompt
 * chevron and cursor on an indigo tile, with a red "recording" dot. electron-builder derives
 * the macOS .icns and Windows .ico from it. Rerun after changing the drawing:
 * node electron/scripts/generate-icon.mjs
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const OUTPUT = new URL('../../resources/icon.png', import.meta.url);

// Signed distances (negative inside) of the shapes, in pixels.
const roundedBox = (x, y, cx, cy, halfWidth, halfHeight, radius) => {
  const qx = Math.abs(x - cx) - halfWidth + radius;
  const qy = Math.abs(y - cy) - halfHeight + radius;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
};
const capsule = (x, y, ax, ay, bx, by, radius) => {
  const [px, py, dx, dy] = [x - ax, y - ay, bx - ax, by - ay];
  const t = Math.max(0, Math.min(1, (px * dx + py * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - dx * t, py - dy * t) - radius;
};
const circle = (x, y, cx, cy, radius) => Math.hypot(x - cx, y - cy) - radius;

/** Coverage of a pixel by a shape, anti-aliased over one pixel. */
const coverage = (distance) => Math.max(0, Math.min(1, 0.5 - distance));
const mix = (under, over, alpha) => under.map((channel, i) => channel + (over[i] - channel) * alpha);

function pixel(x, y) {
  const tile = coverage(roundedBox(x, y, 256, 256, 232, 232, 104));
  if (tile === 0) return [0, 0, 0, 0];
  // Indigo at the top to a deep navy at the bottom.
  const t = (y - 24) / 464;
  let color = mix([79, 99, 255], [27, 33, 104], Math.max(0, Math.min(1, t)));
  const chevron = Math.min(capsule(x, y, 148, 168, 252, 256, 26), capsule(x, y, 252, 256, 148, 344, 26));
  color = mix(color, [244, 246, 255], coverage(chevron));
  color = mix(color, [244, 246, 255], coverage(roundedBox(x, y, 330, 330, 58, 22, 20)));
  color = mix(color, [255, 92, 112], coverage(circle(x, y, 372, 152, 38)));
  return [...color, tile * 255];
}

function crc32(bytes) {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  const row = y * (SIZE * 4 + 1);
  rows[row] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    // Sample at the pixel centre.
    const rgba = pixel(x + 0.5, y + 0.5);
    for (let i = 0; i < 4; i++) rows[row + 1 + x * 4 + i] = Math.round(rgba[i]);
  }
}
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no interlace
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(rows, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(OUTPUT, png);
console.log(`Wrote ${OUTPUT.pathname} (${png.length} bytes).`);
