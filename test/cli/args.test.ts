/**
 * Unit tests of the CLI's argument parser and PSK text formats (no I/O).
 */
import { describe, expect, test } from "bun:test";
import { parseArgs, UsageError, type ClientCommand, type ServerCommand } from "../../src/cli/args.ts";
import { formatPskLine, parsePskFile, parsePskSpec, PskFormatError } from "../../src/cli/psk_file.ts";
import { keygenLine } from "../../src/cli/keygen.ts";

const KEY = "00112233445566778899aabbccddeeff";

describe("parsePskSpec", () => {
  test("splits at the first colon", () => {
    const e = parsePskSpec(`alice:${KEY}`);
    expect(e.identity).toBe("alice");
    expect(Buffer.from(e.secret).toString("hex")).toBe(KEY);
  });

  test("a second colon belongs to the hex part, which then is not hex", () => {
    expect(() => parsePskSpec(`a:b:${KEY}`)).toThrow(PskFormatError);
    expect(() => parsePskSpec(`a:b:${KEY}`)).toThrow(/identity "a"/);
  });

  test("identities may contain anything but a colon", () => {
    expect(parsePskSpec(`client 1/α@x=y:${KEY}`).identity).toBe("client 1/α@x=y");
  });

  test("rejects a missing colon, an empty identity, bad or odd hex", () => {
    expect(() => parsePskSpec(KEY)).toThrow(/no ':'/);
    expect(() => parsePskSpec(`:${KEY}`)).toThrow(/identity is empty/);
    expect(() => parsePskSpec("a:")).toThrow(/hex/);
    expect(() => parsePskSpec("a:abc")).toThrow(/hex/);
    expect(() => parsePskSpec("a:zz")).toThrow(/hex/);
    expect(() => parsePskSpec("a:0x00")).toThrow(/hex/);
  });

  test("error messages never contain the key", () => {
    try {
      parsePskSpec(`a:b:${KEY}`);
    } catch (e) {
      expect((e as Error).message).not.toContain(KEY);
    }
  });
});

describe("parsePskFile (GnuTLS psktool format)", () => {
  test("reads identity:hex lines, skipping blank lines and # comments, CRLF or LF", () => {
    const text = `# keys\r\n\r\nalice:${KEY}\r\n   \n  # indented comment\nbob:${KEY.toUpperCase()}\n`;
    const entries = parsePskFile(text);
    expect(entries.map((e) => e.identity)).toEqual(["alice", "bob"]);
    expect(Buffer.from(entries[1]!.secret).toString("hex")).toBe(KEY);
  });

  test("names the file and line of a bad entry", () => {
    expect(() => parsePskFile(`alice:${KEY}\n\nbroken\n`, "keys.txt")).toThrow(/keys\.txt line 3/);
  });

  test("an empty file gives no entries", () => {
    expect(parsePskFile("# nothing\n\n")).toEqual([]);
  });

  test("formatPskLine round-trips", () => {
    const e = parsePskSpec(`carol:${KEY}`);
    expect(formatPskLine(e)).toBe(`carol:${KEY}`);
    expect(parsePskFile(`${formatPskLine(e)}\n`)).toEqual([e]);
  });
});

describe("keygen", () => {
  test("prints identity:hex with 32 or 48 random bytes", () => {
    const a = keygenLine({ command: "keygen", identity: "alice", bytes: 32 });
    const b = keygenLine({ command: "keygen", identity: "alice", bytes: 32 });
    expect(a).toMatch(/^alice:[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect(keygenLine({ command: "keygen", identity: "x", bytes: 48 })).toMatch(/^x:[0-9a-f]{96}$/);
    expect(parsePskFile(`${a}\n`)[0]!.identity).toBe("alice");
  });
});

describe("parseArgs", () => {
  test("server with defaults", () => {
    const c = parseArgs(["server", "--port", "4433", "--psk", `a:${KEY}`]) as ServerCommand;
    expect(c).toMatchObject({
      command: "server",
      host: "127.0.0.1",
      port: 4433,
      mode: "print",
      pskHash: "sha256",
      pskModes: ["psk_dhe_ke", "psk_ke"],
      groups: undefined,
      suites: undefined,
      naccept: undefined,
      allowShortPsk: false,
      allowWeakPsk: false,
    });
    expect(c.psks).toHaveLength(1);
  });

  test("server with every option, --opt=value form included", () => {
    const c = parseArgs([
      "server", "--port=0", "--host", "127.0.0.2", "--psk", `a:${KEY}`, "--psk", `b:${KEY}`, "--psk-file", "f1",
      "--psk-hash", "sha384", "--psk-mode", "psk_ke", "--groups", "secp384r1,x25519",
      "--suites", "TLS_AES_256_GCM_SHA384", "--http", "--keylog", "k.log", "--naccept", "3", "--alpn", "h2,http/1.1",
      "--handshake-timeout", "500", "--allow-short-psk",
    ]) as ServerCommand;
    expect(c).toMatchObject({
      host: "127.0.0.2",
      port: 0,
      pskFiles: ["f1"],
      pskHash: "sha384",
      pskModes: ["psk_ke"],
      groups: ["secp384r1", "x25519"],
      suites: ["TLS_AES_256_GCM_SHA384"],
      mode: "http",
      keylog: "k.log",
      naccept: 3,
      alpn: ["h2", "http/1.1"],
      handshakeTimeout: 500,
      allowShortPsk: true,
      allowWeakPsk: false,
    });
    expect(c.psks.map((p) => p.identity)).toEqual(["a", "b"]);
  });

  test("client", () => {
    const c = parseArgs([
      "client", "--host", "localhost", "--port", "443", "--psk-file", "keys", "--psk-mode", "psk_dhe_ke", "--servername", "example.com",
    ]) as ClientCommand;
    expect(c).toMatchObject({ command: "client", host: "localhost", port: 443, pskFiles: ["keys"], pskModes: ["psk_dhe_ke"], serverName: "example.com" });
  });

  test("keygen and help", () => {
    expect(parseArgs(["keygen"])).toEqual({ command: "keygen", identity: "client", bytes: 32 });
    expect(parseArgs(["keygen", "--identity", "bob", "--bytes", "48"])).toEqual({ command: "keygen", identity: "bob", bytes: 48 });
    expect(parseArgs(["help"])).toEqual({ command: "help" });
    expect(parseArgs(["--help"])).toEqual({ command: "help" });
    expect(parseArgs(["server", "--help"])).toEqual({ command: "help" });
  });

  const bad: [string, string[], RegExp][] = [
    ["no command", [], /no command/],
    ["unknown command", ["frobnicate"], /unknown command/],
    ["unknown option", ["server", "--port", "1", "--psk", `a:${KEY}`, "--bogus"], /unknown option --bogus/],
    ["option of the other command", ["server", "--port", "1", "--psk", `a:${KEY}`, "--servername", "x"], /unknown option/],
    ["missing value", ["server", "--psk", `a:${KEY}`, "--port"], /needs a value/],
    ["positional argument", ["server", "extra"], /unexpected argument/],
    ["no PSK", ["server", "--port", "1"], /--psk/],
    ["no port", ["server", "--psk", `a:${KEY}`], /--port is required/],
    ["client without host", ["client", "--port", "1", "--psk", `a:${KEY}`], /--host is required/],
    ["client port 0", ["client", "--host", "h", "--port", "0", "--psk", `a:${KEY}`], /out of range/],
    ["port too large", ["server", "--port", "65536", "--psk", `a:${KEY}`], /out of range/],
    ["port not a number", ["server", "--port", "80a", "--psk", `a:${KEY}`], /not a number/],
    ["PSK without colon", ["server", "--port", "1", "--psk", KEY], /IDENTITY:HEX/],
    ["PSK bad hex", ["server", "--port", "1", "--psk", "a:xyz"], /hex/],
    ["bad hash", ["server", "--port", "1", "--psk", `a:${KEY}`, "--psk-hash", "md5"], /sha256 or sha384/],
    ["bad mode", ["server", "--port", "1", "--psk", `a:${KEY}`, "--psk-mode", "dhe"], /psk_ke, psk_dhe_ke or both/],
    ["bad group", ["server", "--port", "1", "--psk", `a:${KEY}`, "--groups", "x448"], /unknown value "x448"/],
    ["bad suite", ["server", "--port", "1", "--psk", `a:${KEY}`, "--suites", "TLS_NULL_SHA256"], /unknown value/],
    ["echo and http", ["server", "--port", "1", "--psk", `a:${KEY}`, "--echo", "--http"], /exclude/],
    ["flag with a value", ["server", "--port", "1", "--psk", `a:${KEY}`, "--echo=yes"], /takes no value/],
    ["bad naccept", ["server", "--port", "1", "--psk", `a:${KEY}`, "--naccept", "0"], /positive integer/],
    ["keygen bad bytes", ["keygen", "--bytes", "16"], /32 or 48/],
    ["keygen identity with colon", ["keygen", "--identity", "a:b"], /without ':'/],
  ];
  for (const [name, argv, message] of bad) {
    test(`rejects: ${name}`, () => {
      expect(() => parseArgs(argv)).toThrow(UsageError);
      expect(() => parseArgs(argv)).toThrow(message);
    });
  }
});

describe("parseArgs: openssl and GnuTLS spellings, --version, keygen --out", () => {
  test("openssl s_client: -connect HOST:PORT -psk_identity ID -psk HEX", () => {
    const c = parseArgs(["client", "-connect", "127.0.0.1:4433", "-psk_identity", "alice", "-psk", KEY]) as ClientCommand;
    expect(c).toMatchObject({ host: "127.0.0.1", port: 4433 });
    expect(c.psks.map((p) => [p.identity, Buffer.from(p.secret).toString("hex")])).toEqual([["alice", KEY]]);
  });

  test("-connect with an IPv6 literal; -psk alone uses openssl's Client_identity", () => {
    const c = parseArgs(["client", "-connect", "[::1]:443", "-psk", KEY]) as ClientCommand;
    expect(c).toMatchObject({ host: "::1", port: 443 });
    expect(c.psks[0]!.identity).toBe("Client_identity");
  });

  test("openssl s_server: -accept P -psk_identity ID -psk HEX", () => {
    const c = parseArgs(["server", "-accept", "4433", "-psk_identity", "bob", "-psk", KEY]) as ServerCommand;
    expect(c.port).toBe(4433);
    expect(c.psks[0]!.identity).toBe("bob");
  });

  test("gnutls-cli/gnutls-serv: --pskusername ID --pskkey HEX, --pskpasswd FILE", () => {
    const c = parseArgs(["client", "--host", "h", "--port", "1", "--pskusername", "carol", "--pskkey", KEY]) as ClientCommand;
    expect(c.psks[0]!.identity).toBe("carol");
    const s = parseArgs(["server", "--port", "1", "--pskpasswd", "keys.psk", "--psk-file", "more.psk"]) as ServerCommand;
    expect(s.pskFiles).toEqual(["more.psk", "keys.psk"]);
  });

  test("--version and -h anywhere; keygen --out", () => {
    expect(parseArgs(["--version"])).toEqual({ command: "version" });
    expect(parseArgs(["client", "--version"])).toEqual({ command: "version" });
    expect(parseArgs(["server", "-h"])).toEqual({ command: "help" });
    expect(parseArgs(["-h"])).toEqual({ command: "help" });
    expect(parseArgs(["keygen", "--out", "k.psk"])).toEqual({ command: "keygen", identity: "client", bytes: 32, out: "k.psk" });
  });

  const bad: [string, string[], RegExp][] = [
    ["-connect without a port", ["client", "-connect", "host", "-psk", KEY], /HOST:PORT/],
    ["-connect with --host", ["client", "-connect", "h:1", "--host", "h", "-psk", KEY], /excludes/],
    ["-psk_identity without -psk", ["client", "-connect", "h:1", "-psk_identity", "a"], /needs the key/],
    ["--pskkey without --pskusername", ["client", "-connect", "h:1", "--pskkey", KEY], /--pskusername/],
    ["-psk not hex", ["client", "-connect", "h:1", "-psk", "zzzz"], /not valid hex/],
    ["--psk odd hex", ["client", "-connect", "h:1", "--psk", "a:abc"], /odd number of hex digits/],
    ["-connect on the server", ["server", "-connect", "h:1", "-psk", KEY], /unknown option --connect/],
  ];
  for (const [name, argv, message] of bad) {
    test(`rejects: ${name}`, () => {
      expect(() => parseArgs(argv)).toThrow(UsageError);
      expect(() => parseArgs(argv)).toThrow(message);
    });
  }
});
