#!/usr/bin/env python3
"""TCP proxies on 127.0.0.1 that add network latency, for benchmarks that need nodes "far away".

    latency-proxy.py DELAY_MS TARGET_PORT [TARGET_PORT...]

For each target port, listens on a free port of 127.0.0.1 and forwards every connection to the target, each
byte delivered DELAY_MS after it arrived, in each direction (a round trip costs 2 x DELAY_MS), in order, with
no bandwidth limit. Prints "LISTEN_PORT TARGET_PORT" per target, one per line, once all listen; runs until
killed. The kernel's netem would do the same, but it is not available in every container.
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk delivered `delay` seconds after it arrived; EOF travels too."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def receive():
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    async def deliver():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    tasks = [asyncio.create_task(receive()), asyncio.create_task(deliver())]
    try:
        await asyncio.gather(*tasks)
    except (ConnectionError, OSError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def serve(delay, target):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection('127.0.0.1', target)
        except OSError:
            client_writer.close()
            return
        tasks = [asyncio.create_task(pump(client_reader, server_writer, delay)),
                 asyncio.create_task(pump(server_reader, client_writer, delay))]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for writer in (client_writer, server_writer):
                writer.close()

    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    return server, server.sockets[0].getsockname()[1]


async def main():
    delay = float(sys.argv[1]) / 1000.0
    servers = []
    for target in (int(p) for p in sys.argv[2:]):
        server, port = await serve(delay, target)
        servers.append(server)
        print(port, target, flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == '__main__':
    asyncio.run(main())
