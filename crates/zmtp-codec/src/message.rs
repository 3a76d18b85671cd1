//! [`Message`]: a multipart message of [`Bytes`] frames.

use std::fmt;

use bytes::Bytes;
use smallvec::SmallVec;

/// Frames kept inline before a message spills to the heap: one for plain messages, two for the
/// common envelope shapes (routing id + body, empty delimiter + body).
const INLINE_FRAMES: usize = 2;

/// A ZeroMQ message: one or more frames, delivered atomically.
///
/// Frames are [`Bytes`], so cloning a message or fanning it out to many peers copies no body.
/// Up to two frames are stored inline, so a one-frame message costs no allocation beyond its
/// body (and none at all for a `&'static` body).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Message {
    frames: SmallVec<[Bytes; INLINE_FRAMES]>,
}

impl Message {
    /// An empty message (no frames yet).
    pub fn new() -> Message {
        Message::default()
    }

    /// A one-frame message.
    pub fn single(frame: impl Into<Bytes>) -> Message {
        let mut frames = SmallVec::new();
        frames.push(frame.into());
        Message { frames }
    }

    /// Appends a frame.
    pub fn push_back(&mut self, frame: impl Into<Bytes>) {
        self.frames.push(frame.into());
    }

    /// Inserts a frame before the others (a routing id or an envelope delimiter).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        self.frames.insert(0, frame.into());
    }

    /// Removes and returns the first frame.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        if self.frames.is_empty() {
            None
        } else {
            Some(self.frames.remove(0))
        }
    }

    /// Removes and returns the last frame.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        self.frames.pop()
    }

    /// The frames, in order.
    pub fn frames(&self) -> &[Bytes] {
        &self.frames
    }

    /// The frames, in order, mutably.
    pub fn frames_mut(&mut self) -> &mut [Bytes] {
        &mut self.frames
    }

    /// The frame at `index`.
    pub fn get(&self, index: usize) -> Option<&Bytes> {
        self.frames.get(index)
    }

    /// The first frame.
    pub fn first(&self) -> Option<&Bytes> {
        self.frames.first()
    }

    /// The number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether the message has no frames.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Total size of all frame bodies in bytes.
    pub fn byte_len(&self) -> usize {
        self.frames.iter().map(Bytes::len).sum()
    }

    /// Iterates over the frames.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames.iter()
    }

    /// Removes every frame, keeping the storage.
    pub fn clear(&mut self) {
        self.frames.clear();
    }

    /// The frames as a vector.
    pub fn into_vec(self) -> Vec<Bytes> {
        self.frames.into_vec()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.frames.iter()).finish()
    }
}

impl From<Bytes> for Message {
    fn from(frame: Bytes) -> Self {
        Message::single(frame)
    }
}

impl From<Vec<u8>> for Message {
    fn from(frame: Vec<u8>) -> Self {
        Message::single(frame)
    }
}

/// Copies the bytes (as libzmq's `zmq_send` does): any borrowed slice can be sent, not only a
/// `'static` one. To send without a copy, give a [`Bytes`] (`Bytes::from_static` for a literal).
impl From<&[u8]> for Message {
    fn from(frame: &[u8]) -> Self {
        Message::single(Bytes::copy_from_slice(frame))
    }
}

/// Copies the text (see `From<&[u8]>`).
impl From<&str> for Message {
    fn from(frame: &str) -> Self {
        Message::single(Bytes::copy_from_slice(frame.as_bytes()))
    }
}

impl From<String> for Message {
    fn from(frame: String) -> Self {
        Message::single(frame)
    }
}

impl From<Vec<Bytes>> for Message {
    fn from(frames: Vec<Bytes>) -> Self {
        Message {
            frames: SmallVec::from_vec(frames),
        }
    }
}

impl<T: Into<Bytes>, const N: usize> From<[T; N]> for Message {
    fn from(frames: [T; N]) -> Self {
        frames.into_iter().collect()
    }
}

impl<T: Into<Bytes>> FromIterator<T> for Message {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Message {
            frames: iter.into_iter().map(Into::into).collect(),
        }
    }
}

impl<T: Into<Bytes>> Extend<T> for Message {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        self.frames.extend(iter.into_iter().map(Into::into));
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = smallvec::IntoIter<[Bytes; INLINE_FRAMES]>;

    fn into_iter(self) -> Self::IntoIter {
        self.frames.into_iter()
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;

    fn into_iter(self) -> Self::IntoIter {
        self.frames.iter()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn borrowed_bytes_and_text_are_copied() {
        let buffer = vec![1u8, 2, 3];
        let text = String::from("hello");
        let (from_slice, from_str) = (Message::from(&buffer[..]), Message::from(text.as_str()));
        drop((buffer, text));
        assert_eq!(from_slice.frames()[0][..], [1, 2, 3]);
        assert_eq!(from_str.frames()[0][..], *b"hello");
    }

    use super::*;

    #[test]
    fn small_messages_stay_inline() {
        let m = Message::from(["envelope", "body"]);
        assert!(!m.frames.spilled());
        assert_eq!(m.len(), 2);
        assert_eq!(m.byte_len(), 12);
        let m3 = Message::from(["a", "", "c"]);
        assert!(m3.frames.spilled());
    }

    #[test]
    fn push_and_pop() {
        let mut m = Message::single("body");
        m.push_front(Bytes::new());
        m.push_front("id");
        assert_eq!(m.pop_front(), Some(Bytes::from_static(b"id")));
        assert_eq!(m.pop_front(), Some(Bytes::new()));
        assert_eq!(m.pop_back(), Some(Bytes::from_static(b"body")));
        assert_eq!(m.pop_front(), None);
        assert!(m.is_empty());
    }
}
