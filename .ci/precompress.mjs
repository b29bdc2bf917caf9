// Writes a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) variant beside every file
// under a directory, as `cargo leptos build --precompress` does; the server embeds and serves
// them by `Accept-Encoding`.   node .ci/precompress.mjs target/site
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

function compress(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      compress(path);
    } else if (!/\.(br|gz)$/.test(entry.name)) {
      const data = readFileSync(path);
      writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
      writeFileSync(
        `${path}.br`,
        brotliCompressSync(data, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 11,
            [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        }),
      );
    }
  }
}

compress(process.argv[2] ?? "target/site");
