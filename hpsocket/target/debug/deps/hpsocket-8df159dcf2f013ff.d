/work/main/hpsocket/target/debug/deps/hpsocket-8df159dcf2f013ff.d: src/lib.rs src/agent.rs src/client.rs src/component.rs src/config.rs src/conn.rs src/error.rs src/listener.rs src/model.rs src/reactor.rs src/sendq.rs src/server.rs src/types.rs

/work/main/hpsocket/target/debug/deps/libhpsocket-8df159dcf2f013ff.rlib: src/lib.rs src/agent.rs src/client.rs src/component.rs src/config.rs src/conn.rs src/error.rs src/listener.rs src/model.rs src/reactor.rs src/sendq.rs src/server.rs src/types.rs

/work/main/hpsocket/target/debug/deps/libhpsocket-8df159dcf2f013ff.rmeta: src/lib.rs src/agent.rs src/client.rs src/component.rs src/config.rs src/conn.rs src/error.rs src/listener.rs src/model.rs src/reactor.rs src/sendq.rs src/server.rs src/types.rs

src/lib.rs:
src/agent.rs:
src/client.rs:
src/component.rs:
src/config.rs:
src/conn.rs:
src/error.rs:
src/listener.rs:
src/model.rs:
src/reactor.rs:
src/sendq.rs:
src/server.rs:
src/types.rs:
