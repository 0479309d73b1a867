//! The machine's ceiling: a bare actix-web handler that reads the request body and returns a
//! constant, on the same number of workers as the gateway. The same generator runs against
//! it, so the gateway's throughput can be stated as a share of what the hardware, the kernel's
//! loopback and the HTTP stack can do at all.

use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;

/// A running bare server; stopped when dropped.
pub struct Bare {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

async fn constant(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"ok":true}"#)
}

/// Starts the bare server on `listen` (port 0: any) with `workers` workers.
pub fn start(listen: &str, workers: usize) -> std::io::Result<Bare> {
    let listener = TcpListener::bind(listen)?;
    let base = format!("http://{}", listener.local_addr()?);
    let (sender, receiver) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        let started = sender.clone();
        let result = system.block_on(async move {
            let server = HttpServer::new(|| {
                App::new()
                    // Captures carry ~40 KB photos.
                    .app_data(web::PayloadConfig::new(1 << 20))
                    .default_service(web::to(constant))
            })
            .workers(workers.max(1))
            .listen(listener)?
            .run();
            let _ = started.send(Ok(server.handle()));
            server.await
        });
        if let Err(error) = result {
            let _ = sender.send(Err(error));
        }
    });
    let handle = receiver
        .recv()
        .map_err(|_| std::io::Error::other("bare server thread ended"))??;
    Ok(Bare {
        base,
        handle,
        thread: Some(thread),
    })
}

impl Bare {
    /// Serves until the process ends (for `wrk` cross-checks).
    pub fn serve_forever(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        // Stop without waiting for the thread: dropping inside a tokio runtime must not block.
        drop(self.handle.stop(false));
    }
}
