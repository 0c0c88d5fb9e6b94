// Stops with one clear line on a Node too old to run this repository's TypeScript files directly
// (type stripping is on by default from Node 22.18), instead of a stack trace further on.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `tidings needs Node 22.18 or newer to run its examples and tests (this is Node ${process.versions.node}); install a newer Node and run the command again.`,
  );
  process.exit(1);
}
