// Opens an SSE stream and a WebSocket on `base`, publishes once, and resolves with what each received.
export async function receiveOnce(base, publish) {
  const timeout = setTimeout(() => {
    console.error('timed out');
    process.exit(1);
  }, 20_000);
  const sse = await fetch(`${base}/sse?topics=greetings`);
  const reader = sse.body.getReader();
  await reader.read(); // the opening bytes
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?topics=greetings`);
  const wsEvent = new Promise((resolve) => {
    ws.onmessage = (m) => {
      const message = JSON.parse(m.data);
      if (message.type === 'event') resolve(message);
    };
  });
  await new Promise((resolve) => {
    ws.onopen = resolve;
  });
  await new Promise((r) => setTimeout(r, 50)); // let the welcome and subscription settle
  const id = await publish();
  let text = '';
  const decoder = new TextDecoder();
  while (!text.includes('\n\n', text.indexOf('data:'))) text += decoder.decode((await reader.read()).value);
  const data = text.split('\n').find((l) => l.startsWith('data:'));
  const result = { id, sse: JSON.parse(data.slice(5)), ws: await wsEvent };
  ws.close();
  await reader.cancel();
  clearTimeout(timeout);
  return result;
}
