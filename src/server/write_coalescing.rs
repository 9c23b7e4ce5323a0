//! Write coalescing for the server's connections: what HTTP/2 writes in one
//! turn of a connection's task goes to the socket in one system call.
//!
//! Why: h2 writes each DATA frame with its own `writev` and flushes after it,
//! and a frame is at most what the client allows — 16 KiB for gRPC clients
//! that keep HTTP/2's default (ADBC's gRPC-Go among them). A 10M-row result
//! was about 23,000 system calls, each pushing one 16 KiB segment through the
//! TCP stack: 29 % of the server's CPU.
//!
//! How, without Nagle's or a cork's delay: writes are copied into a buffer.
//! The first flush after a write does not send; it wakes the task instead,
//! so that the connection is polled once more. The buffer is sent by the
//! next flush that follows no new write (h2 ends every poll of a connection
//! with a flush), or by the next read (h2 starts every poll with one; a TLS
//! handshake reads the client's answer after writing its own part), whichever
//! comes first. Small replies therefore wait for one more poll of their task,
//! microseconds, not for a timer; a buffer that reaches [`LIMIT`] is sent at
//! once. A connection keeps its buffer's capacity (at most [`LIMIT`]) for
//! its life: a fresh buffer every turn would fault in fresh pages.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Most bytes held before they are sent, whatever the flushes say.
pub(crate) const LIMIT: usize = 256 * 1024;

/// A stream whose writes are coalesced (see the module doc); reads pass through.
pub(crate) struct CoalescingWriter<S> {
    inner: S,
    /// Bytes written and not yet sent: `buffer[sent..]`.
    buffer: Vec<u8>,
    sent: usize,
    /// Whether anything was written since the last flush: the flush that
    /// follows defers (and wakes the task), a second one sends.
    written_since_flush: bool,
}

impl<S> CoalescingWriter<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            sent: 0,
            written_since_flush: false,
        }
    }

    #[cfg(test)]
    fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncWrite + Unpin> CoalescingWriter<S> {
    /// Sends every held byte, in order.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.buffer.len() {
            let pending = &self.buffer[self.sent..];
            match Pin::new(&mut self.inner).poll_write(cx, pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => self.sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.buffer.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }

    /// Room for `wanted` more bytes: sends what is held first if it would
    /// pass [`LIMIT`]. Returns how many bytes may be taken now.
    fn poll_room(&mut self, cx: &mut Context<'_>, wanted: usize) -> Poll<io::Result<usize>> {
        if self.buffer.len() + wanted > LIMIT && !self.buffer.is_empty() {
            match self.poll_send(cx) {
                Poll::Ready(Ok(())) => {}
                other => return other.map_ok(|()| 0),
            }
        }
        // Held bytes never pass LIMIT.
        Poll::Ready(Ok(wanted.min(LIMIT.saturating_sub(self.buffer.len()))))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for CoalescingWriter<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // A reader may be waiting for the reply to what it wrote: send that
        // first (a busy socket does not hold up the read; the send is tried
        // again at the next read, write or flush).
        if let Poll::Ready(Err(e)) = self.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CoalescingWriter<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(data)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        slices: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = slices.iter().map(|s| s.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        let mut room = match self.poll_room(cx, total) {
            Poll::Ready(Ok(room)) => room,
            other => return other,
        };
        let mut taken = 0;
        for slice in slices {
            let part = &slice[..slice.len().min(room)];
            self.buffer.extend_from_slice(part);
            taken += part.len();
            room -= part.len();
            if room == 0 {
                break;
            }
        }
        self.written_since_flush = true;
        Poll::Ready(Ok(taken))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.written_since_flush {
            // More may come in this turn: send at the next flush that follows
            // no write, which the wake guarantees will happen.
            self.written_since_flush = false;
            cx.waker().wake_by_ref();
            return Poll::Ready(Ok(()));
        }
        match self.poll_send(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_flush(cx),
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.poll_send(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut self.inner).poll_shutdown(cx),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::*;

    /// A socket that records each write and can refuse to take bytes.
    #[derive(Default)]
    struct Recorder {
        writes: Vec<Vec<u8>>,
        flushes: usize,
        /// Writes to answer with `Pending` before taking bytes again.
        busy: usize,
        /// Most bytes one write takes.
        most: Option<usize>,
    }

    impl AsyncRead for Recorder {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            buf.put_slice(b"reply");
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            data: &[u8],
        ) -> Poll<io::Result<usize>> {
            if self.busy > 0 {
                self.busy -= 1;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let n = data.len().min(self.most.unwrap_or(usize::MAX));
            self.writes.push(data[..n].to_vec());
            Poll::Ready(Ok(n))
        }

        fn poll_flush(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.flushes += 1;
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn context() -> (Arc<CountingWaker>, Waker) {
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&counter));
        (counter, waker)
    }

    fn write(w: &mut CoalescingWriter<Recorder>, cx: &mut Context<'_>, data: &[u8]) -> usize {
        match Pin::new(w).poll_write(cx, data) {
            Poll::Ready(Ok(n)) => n,
            other => panic!("write: {other:?}"),
        }
    }

    fn flush(w: &mut CoalescingWriter<Recorder>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(w).poll_flush(cx)
    }

    #[test]
    fn a_turns_frames_go_out_in_one_write_at_the_flush_after_no_write() {
        let (wakes, waker) = context();
        let mut cx = Context::from_waker(&waker);
        let mut w = CoalescingWriter::new(Recorder::default());
        // Three frames, each followed by a flush, as h2 writes them.
        for frame in [&b"header"[..], b"frame one", b"frame two"] {
            assert_eq!(write(&mut w, &mut cx, frame), frame.len());
            assert!(matches!(flush(&mut w, &mut cx), Poll::Ready(Ok(()))));
            assert!(w.get_ref().writes.is_empty(), "nothing sent mid-turn");
        }
        // Each deferred flush woke the task, so the connection is polled again.
        assert_eq!(wakes.0.load(Ordering::SeqCst), 3);
        // The flush that follows no write: everything, in order, in one write.
        assert!(matches!(flush(&mut w, &mut cx), Poll::Ready(Ok(()))));
        assert_eq!(
            w.get_ref().writes,
            vec![b"headerframe oneframe two".to_vec()]
        );
        assert_eq!(w.get_ref().flushes, 1);
        // Nothing held: another flush writes nothing.
        assert!(matches!(flush(&mut w, &mut cx), Poll::Ready(Ok(()))));
        assert_eq!(w.get_ref().writes.len(), 1);
    }

    #[test]
    fn vectored_writes_are_joined_and_the_limit_sends_at_once() {
        let (_, waker) = context();
        let mut cx = Context::from_waker(&waker);
        let mut w = CoalescingWriter::new(Recorder::default());
        let head = [1u8; 9];
        let body = vec![2u8; 16_384];
        let mut sent = Vec::new();
        // Frames of a header and a 16 KiB body until past the limit.
        let frames = LIMIT / (head.len() + body.len()) + 2;
        for _ in 0..frames {
            let mut offset = 0;
            while offset < head.len() + body.len() {
                // What h2 passes after a partial write: the rest of the frame.
                let (a, b) = match offset.checked_sub(head.len()) {
                    None => (&head[offset..], &body[..]),
                    Some(into_body) => (&[][..], &body[into_body..]),
                };
                let slices = [io::IoSlice::new(a), io::IoSlice::new(b)];
                match Pin::new(&mut w).poll_write_vectored(&mut cx, &slices) {
                    Poll::Ready(Ok(n)) => offset += n,
                    other => panic!("vectored write: {other:?}"),
                }
            }
            sent.extend_from_slice(&head);
            sent.extend_from_slice(&body);
        }
        // The limit sent a write of at most LIMIT bytes before the first flush.
        let writes = &w.get_ref().writes;
        assert!(!writes.is_empty() && writes.iter().all(|b| b.len() <= LIMIT));
        assert!(matches!(flush(&mut w, &mut cx), Poll::Ready(Ok(()))));
        assert!(matches!(flush(&mut w, &mut cx), Poll::Ready(Ok(()))));
        let received: Vec<u8> = w.get_ref().writes.concat();
        assert_eq!(received, sent);
    }

    #[test]
    fn a_busy_socket_keeps_the_bytes_and_sends_them_later_in_order() {
        let (_, waker) = context();
        let mut cx = Context::from_waker(&waker);
        let recorder = Recorder {
            busy: 2,
            most: Some(5),
            ..Recorder::default()
        };
        let mut w = CoalescingWriter::new(recorder);
        write(&mut w, &mut cx, b"0123456789abc");
        assert!(flush(&mut w, &mut cx).is_ready());
        // The socket is busy twice: the flush waits, then sends what is left.
        assert!(flush(&mut w, &mut cx).is_pending());
        assert!(flush(&mut w, &mut cx).is_pending());
        assert!(matches!(flush(&mut w, &mut cx), Poll::Ready(Ok(()))));
        assert_eq!(w.get_ref().writes.concat(), b"0123456789abc".to_vec());
        assert!(w.get_ref().writes.iter().all(|b| b.len() <= 5));
        // Shutting down sends what a write left behind.
        write(&mut w, &mut cx, b"last");
        assert!(matches!(
            Pin::new(&mut w).poll_shutdown(&mut cx),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(w.get_ref().writes.concat(), b"0123456789abclast".to_vec());
    }

    #[test]
    fn a_read_sends_what_a_deferred_flush_held() {
        // A TLS handshake: the server's part written and flushed, then it
        // reads the client's answer, which needs that part sent first.
        let (_, waker) = context();
        let mut cx = Context::from_waker(&waker);
        let mut w = CoalescingWriter::new(Recorder::default());
        write(&mut w, &mut cx, b"server hello");
        assert!(flush(&mut w, &mut cx).is_ready());
        assert!(w.get_ref().writes.is_empty());
        let mut space = [0u8; 8];
        let mut buf = ReadBuf::new(&mut space);
        assert!(matches!(
            Pin::new(&mut w).poll_read(&mut cx, &mut buf),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(buf.filled(), b"reply");
        assert_eq!(w.get_ref().writes, vec![b"server hello".to_vec()]);
    }
}
