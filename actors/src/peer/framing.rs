//! The bytes of one peer connection, for both directions: [`OutQueue`], the bounded queue of
//! frames waiting to be written (what a peer that does not read can make us hold), the reader
//! loop that turns received WebSocket frames into [`SocketEvent`]s for the session and stops
//! reading while the session says so (backpressure), and [`Reassembler`] for fragmented
//! messages. The inbound and outbound connection modules only plug their sockets into these.

use actix_http::ws::{Frame, Item, Message, ProtocolError};
use futures_util::stream::{Stream, StreamExt};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// Why a binary frame is refused.
pub const BINARY_FRAME: &str = "binary frames are not part of the protocol";

/// What the reader hands the session, one at a time (it waits for each to be handled).
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub enum SocketEvent {
    /// A whole text message arrived.
    Text(String),
    /// A WebSocket ping frame (answered by the session with a pong, within the budget).
    Ping(bytes::Bytes),
    /// A WebSocket pong frame.
    Alive,
    /// The peer broke the framing rules (binary frame, oversize message, bad continuation).
    Malformed(String),
    /// The connection closed.
    Closed,
}

struct QueueState {
    frames: VecDeque<(Message, usize)>,
    /// Bytes queued plus bytes taken by the writer and not yet written.
    bytes: usize,
    cap: usize,
    /// No more frames: the writer ends once the queue is empty.
    finished: bool,
    /// Dropped: the writer ends at once and the connection is cut.
    aborted: bool,
    /// Since when the queue has been over its cap (a write timeout runs from here).
    full_since: Option<Instant>,
    writer: Option<Waker>,
    on_drain: Option<Box<dyn Fn()>>,
}

/// The frames waiting to be written to one peer, bounded in bytes. Shared by the session (which
/// pushes) and the connection's writer (which pops), on the same thread.
#[derive(Clone)]
pub struct OutQueue(Rc<RefCell<QueueState>>);

/// What the writer gets from [`OutQueue::poll_pop`].
pub enum Popped {
    /// A frame to write, and its size to report with [`OutQueue::written`].
    Frame(Message, usize),
    /// The queue was finished and is empty: close the connection gracefully.
    Finished,
    /// The connection was dropped: cut it.
    Aborted,
}

impl OutQueue {
    /// Returns an empty queue holding at most `cap` bytes (plus one frame that found it below).
    pub fn new(cap: usize) -> OutQueue {
        OutQueue(Rc::new(RefCell::new(QueueState {
            frames: VecDeque::new(),
            bytes: 0,
            cap,
            finished: false,
            aborted: false,
            full_since: None,
            writer: None,
            on_drain: None,
        })))
    }

    /// Sets what to call when the queue drains below half its cap after being full.
    pub fn set_on_drain(&self, f: impl Fn() + 'static) {
        self.0.borrow_mut().on_drain = Some(Box::new(f));
    }

    /// Queues a frame of `len` bytes unless the queue is at its cap (or closed); returns whether
    /// it was queued.
    pub fn push(&self, msg: Message, len: usize) -> bool {
        self.enqueue(msg, len, false)
    }

    /// Queues the one answer a request may have, whatever the cap (the session stops reading
    /// while the queue is full, so at most one answer passes it); returns whether it was queued
    /// (not once the queue is finished).
    pub fn push_answer(&self, msg: Message, len: usize) -> bool {
        self.enqueue(msg, len, true)
    }

    fn enqueue(&self, msg: Message, len: usize, past_cap: bool) -> bool {
        let mut s = self.0.borrow_mut();
        if s.finished || s.aborted {
            return false;
        }
        let refused = !past_cap && s.bytes >= s.cap;
        if !refused {
            s.bytes += len;
            s.frames.push_back((msg, len));
            if let Some(w) = s.writer.take() {
                w.wake();
            }
        }
        if s.bytes >= s.cap {
            s.full_since.get_or_insert_with(Instant::now);
        }
        !refused
    }

    /// Queues the last frames (`REJECT`, the close frame) whatever the cap, and finishes the
    /// queue: nothing more can be pushed. They are small and sent once per connection.
    pub fn finish_with(&self, last: Vec<(Message, usize)>) {
        let mut s = self.0.borrow_mut();
        if s.finished || s.aborted {
            return;
        }
        for (msg, len) in last {
            s.bytes += len;
            s.frames.push_back((msg, len));
        }
        s.finished = true;
        if let Some(w) = s.writer.take() {
            w.wake();
        }
    }

    /// Drops everything queued and makes the writer cut the connection.
    pub fn abort(&self) {
        let mut s = self.0.borrow_mut();
        s.aborted = true;
        s.frames.clear();
        s.bytes = 0;
        if let Some(w) = s.writer.take() {
            w.wake();
        }
    }

    /// Returns the bytes held (queued, or taken by the writer and not yet written).
    pub fn bytes(&self) -> usize {
        self.0.borrow().bytes
    }

    /// Returns whether the queue is at its cap: the session stops reading the peer.
    pub fn is_full(&self) -> bool {
        let s = self.0.borrow();
        s.bytes >= s.cap
    }

    /// Returns whether the queue is empty and finished or aborted (the writer is done).
    pub fn is_done(&self) -> bool {
        let s = self.0.borrow();
        s.aborted || (s.finished && s.bytes == 0)
    }

    /// Returns how long the queue has been at its cap, if it is.
    pub fn full_for(&self) -> Option<std::time::Duration> {
        self.0.borrow().full_since.map(|t| t.elapsed())
    }

    /// Takes the next frame for the writer (its bytes stay counted until [`OutQueue::written`]).
    pub fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Popped> {
        let mut s = self.0.borrow_mut();
        if s.aborted {
            return Poll::Ready(Popped::Aborted);
        }
        match s.frames.pop_front() {
            Some((msg, len)) => Poll::Ready(Popped::Frame(msg, len)),
            None if s.finished => Poll::Ready(Popped::Finished),
            None => {
                s.writer = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Returns the next frame for the writer.
    pub async fn pop(&self) -> Popped {
        std::future::poll_fn(|cx| self.poll_pop(cx)).await
    }

    /// The writer wrote a frame of `len` bytes.
    pub fn written(&self, len: usize) {
        let drained = {
            let mut s = self.0.borrow_mut();
            s.bytes = s.bytes.saturating_sub(len);
            if s.full_since.is_some() && s.bytes <= s.cap / 2 {
                s.full_since = None;
                true
            } else {
                s.finished && s.bytes == 0
            }
        };
        if drained {
            // Called outside the borrow: the callback may look at the queue.
            let s = self.0.borrow();
            if let Some(f) = &s.on_drain {
                f();
            }
        }
    }
}

/// Returns a text frame of `text`, and its size on the wire (a bound: payload plus header).
pub fn text_frame(text: &str) -> (Message, usize) {
    (Message::Text(bytestring::ByteString::from(text)), text.len() + 14)
}

/// Returns the close frame with the `REJECT` code as its reason (PROTOCOL.md §8.1).
pub fn close_frame(code: &str) -> (Message, usize) {
    let reason: String = code.chars().take(120).collect();
    let len = reason.len() + 16;
    (
        Message::Close(Some(actix_http::ws::CloseReason {
            code: actix_http::ws::CloseCode::Policy,
            description: Some(reason),
        })),
        len,
    )
}

/// Reads frames and hands them to the session one at a time, waiting while the session keeps
/// `gate` closed (busy with the last message, over its work budget, or its queue full): the
/// peer's further bytes stay in the kernel's buffers, not ours. Ends when the connection ends, a
/// framing error ends the input, or the session is gone.
pub async fn read_frames<S>(
    mut frames: S,
    session: actix::Recipient<SocketEvent>,
    mut gate: tokio::sync::watch::Receiver<bool>,
    max_message_bytes: usize,
) where
    S: Stream<Item = Result<Frame, ProtocolError>> + Unpin,
{
    let mut reassembler = Reassembler::default();
    loop {
        if gate.wait_for(|open| *open).await.is_err() {
            return;
        }
        let (event, last) = match frames.next().await {
            None => (SocketEvent::Closed, true),
            Some(Ok(frame)) => match frame {
                Frame::Text(bytes) => match String::from_utf8(bytes.to_vec()) {
                    Ok(text) => (SocketEvent::Text(text), false),
                    Err(_) => (SocketEvent::Malformed("text frame is not UTF-8".into()), true),
                },
                Frame::Binary(_) => (SocketEvent::Malformed(BINARY_FRAME.into()), true),
                Frame::Continuation(item) => match reassembler.feed(item, max_message_bytes) {
                    None => continue,
                    Some(e @ SocketEvent::Malformed(_)) => (e, true),
                    Some(e) => (e, false),
                },
                Frame::Ping(payload) => (SocketEvent::Ping(payload), false),
                Frame::Pong(_) => (SocketEvent::Alive, false),
                Frame::Close(_) => (SocketEvent::Closed, true),
            },
            // The connection dropped (reset, EOF): not the peer's misbehaviour.
            Some(Err(ProtocolError::Io(_))) => (SocketEvent::Closed, true),
            Some(Err(e)) => (SocketEvent::Malformed(format!("websocket protocol error: {e}")), true),
        };
        if session.send(event).await.is_err() || last {
            return;
        }
    }
}

/// Reassembles continuation frames into one text message, within a size limit.
#[derive(Debug, Default)]
pub struct Reassembler {
    buf: Option<Vec<u8>>,
}

impl Reassembler {
    /// Takes one continuation frame; returns what to tell the session, if anything (the whole
    /// text after the last part, or why the framing is refused).
    pub fn feed(&mut self, item: Item, max: usize) -> Option<SocketEvent> {
        let result = match item {
            Item::FirstText(part) => self.first(&part, max).map(|_| None),
            Item::FirstBinary(_) => Err(BINARY_FRAME.to_string()),
            Item::Continue(part) => self.next(&part, false, max),
            Item::Last(part) => self.next(&part, true, max),
        };
        match result {
            Ok(text) => text.map(SocketEvent::Text),
            Err(reason) => Some(SocketEvent::Malformed(reason)),
        }
    }

    /// Starts a fragmented text message.
    ///
    /// # Errors
    /// A reason when a message is already in progress or the part is too large.
    pub fn first(&mut self, part: &[u8], max: usize) -> Result<(), String> {
        if self.buf.is_some() {
            return Err("a new fragmented message started before the last one ended".into());
        }
        if part.len() > max {
            return Err(format!("message exceeds {max} bytes"));
        }
        self.buf = Some(part.to_vec());
        Ok(())
    }

    /// Adds a middle or last part; returns the whole text after the last one.
    ///
    /// # Errors
    /// A reason for a part without a start, an oversize message or invalid UTF-8.
    pub fn next(&mut self, part: &[u8], last: bool, max: usize) -> Result<Option<String>, String> {
        let Some(buf) = self.buf.as_mut() else {
            return Err("continuation frame without a first frame".into());
        };
        if buf.len() + part.len() > max {
            self.buf = None;
            return Err(format!("message exceeds {max} bytes"));
        }
        buf.extend_from_slice(part);
        if !last {
            return Ok(None);
        }
        let bytes = self.buf.take().unwrap_or_default();
        String::from_utf8(bytes).map(Some).map_err(|_| "text message is not UTF-8".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassembly_respects_limits() {
        let mut r = Reassembler::default();
        r.first(b"ab", 5).unwrap();
        assert_eq!(r.next(b"c", false, 5).unwrap(), None);
        assert_eq!(r.next(b"d", true, 5).unwrap(), Some("abcd".into()));
        assert!(r.next(b"x", true, 5).is_err());
        r.first(b"abc", 5).unwrap();
        assert!(r.next(b"def", true, 5).is_err());
        assert!(r.first(b"toolong", 5).is_err());
    }

    fn pop_now(q: &OutQueue) -> Poll<Popped> {
        let waker = futures_util::task::noop_waker();
        q.poll_pop(&mut Context::from_waker(&waker))
    }

    #[test]
    fn the_queue_holds_at_most_its_cap_and_reports_when_it_drains() {
        let q = OutQueue::new(100);
        let drained = Rc::new(std::cell::Cell::new(0));
        let d = drained.clone();
        q.set_on_drain(move || d.set(d.get() + 1));
        assert!(q.push(text_frame("a").0, 60));
        assert!(q.push(text_frame("b").0, 60), "one frame may pass the cap when it found room");
        assert!(q.is_full());
        assert!(!q.push(text_frame("c").0, 1), "refused while full");
        assert_eq!(q.bytes(), 120);
        let Poll::Ready(Popped::Frame(_, len)) = pop_now(&q) else { panic!("a frame") };
        assert_eq!(q.bytes(), 120, "counted until written");
        q.written(len);
        assert_eq!(drained.get(), 0, "60 bytes left: above half the cap");
        let Poll::Ready(Popped::Frame(_, len)) = pop_now(&q) else { panic!("a frame") };
        q.written(len);
        assert_eq!(drained.get(), 1);
        assert!(q.full_for().is_none());
        assert!(matches!(pop_now(&q), Poll::Pending));
    }

    #[test]
    fn a_finished_queue_sends_its_last_frames_and_an_aborted_one_nothing() {
        let q = OutQueue::new(10);
        assert!(q.push(text_frame("x").0, 20));
        q.finish_with(vec![text_frame("reject"), close_frame("flood")]);
        assert!(!q.push(text_frame("late").0, 1));
        for _ in 0..3 {
            let Poll::Ready(Popped::Frame(_, len)) = pop_now(&q) else { panic!("a frame") };
            q.written(len);
        }
        assert!(matches!(pop_now(&q), Poll::Ready(Popped::Finished)));
        assert!(q.is_done());
        let q = OutQueue::new(10);
        q.push(text_frame("x").0, 5);
        q.abort();
        assert_eq!(q.bytes(), 0);
        assert!(matches!(pop_now(&q), Poll::Ready(Popped::Aborted)));
    }
}
