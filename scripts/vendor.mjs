// Copies the front-end libraries installed by npm into static/vendor (git-ignored).
// Each feature that needs a library adds one line to FILES; nothing third-party is committed.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "static", "vendor");

const FILES = [
  ["bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"],
  ["bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"],
  ["bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"],
  ["axe-core/axe.min.js", "axe-core/axe.min.js"],
  ["barcode-detector/dist/es/ponyfill.js", "barcode-detector/ponyfill.js"],
  ["barcode-detector/dist/es/zxing-exported.js", "barcode-detector/zxing-exported.js"],
  ["zxing-wasm/dist/reader/zxing_reader.wasm", "barcode-detector/zxing_reader.wasm"],
  ["dejavu-fonts-ttf/ttf/DejaVuSans.ttf", "fonts/DejaVuSans.ttf"],
  ["dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf", "fonts/DejaVuSans-Bold.ttf"],
  ["chart.js/dist/chart.umd.min.js", "chart.js/chart.umd.min.js"],
  ["@noble/ed25519/index.js", "noble-ed25519/ed25519.js"],
];

rmSync(out, { recursive: true, force: true });
for (const [from, to] of FILES) {
  const src = join(root, "node_modules", from);
  if (!existsSync(src)) {
    console.error(`missing ${src}: run npm ci first`);
    process.exit(1);
  }
  const dest = join(out, to);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
}
console.log(`vendor: ${FILES.length} files copied to static/vendor`);
