// A minimal POSIX ustar writer so the browser can offer a cluster export as ONE download
// (`spurious-rewards-<engine>.tar`) without a zip dependency. Deterministic: fixed mtime and owner,
// files in the given order, so the same experiment always gives the same bytes.

const BLOCK = 512;

function writeString(header: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > length) throw new RangeError(`tar field too long: ${text}`);
  header.set(bytes, offset);
}

/** Octal number field: zero-padded digits then a NUL, as ustar readers expect. */
function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function fileHeader(path: string, size: number, mode: number): Uint8Array {
  const header = new Uint8Array(BLOCK);
  const nameBytes = new TextEncoder().encode(path).length;
  if (nameBytes > 100) throw new RangeError(`tar path longer than 100 bytes: ${path}`);
  writeString(header, 0, 100, path);
  writeOctal(header, 100, 8, mode);
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, 0); // mtime: fixed for reproducible archives
  header.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  header[156] = '0'.charCodeAt(0); // regular file
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** The files (path → text) under `root/` as a tar archive; shell scripts are executable. */
export function tarArchive(files: Record<string, string>, root: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [path, text] of Object.entries(files)) {
    const content = new TextEncoder().encode(text);
    parts.push(fileHeader(`${root}/${path}`, content.length, path.endsWith('.sh') ? 0o755 : 0o644));
    parts.push(content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding) parts.push(new Uint8Array(padding));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end-of-archive marker
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
