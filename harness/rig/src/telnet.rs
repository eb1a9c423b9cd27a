//! The client side of a serial port served over the network by ser2net (RFC 2217, i.e. telnet), as labgrid exports a board's UART.
//!
//! Only what a binary frame link needs: bytes `0xFF` doubled on the way out
//! and undoubled on the way in, option negotiation answered once per option
//! (binary transmission and suppress-go-ahead accepted, everything else,
//! the COM-port option included, declined: the port's speed is the
//! exporter's), subnegotiations skipped.

const IAC: u8 = 255;
const DONT: u8 = 254;
const DO: u8 = 253;
const WONT: u8 = 252;
const WILL: u8 = 251;
const SB: u8 = 250;
const SE: u8 = 240;
const BINARY: u8 = 0;
const SGA: u8 = 3;

/// Doubles every `0xFF` of `data` (telnet's escape).
pub fn escape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    for &b in data {
        out.push(b);
        if b == IAC {
            out.push(IAC);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Data,
    Iac,
    Option(u8),
    Sub,
    SubIac,
}

/// Splits what the server sends into data and the answers it wants.
#[derive(Debug)]
pub struct Decoder {
    state: State,
    /// Options already answered (by command and option), so no answer loops.
    answered: Vec<(u8, u8)>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder {
            state: State::Data,
            answered: Vec::new(),
        }
    }
}

impl Decoder {
    /// Feeds `input`; returns the data bytes in it and the bytes to send back.
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let (mut data, mut reply) = (Vec::new(), Vec::new());
        for &b in input {
            self.state = match (self.state, b) {
                (State::Data, IAC) => State::Iac,
                (State::Data, b) => {
                    data.push(b);
                    State::Data
                }
                (State::Iac, IAC) => {
                    data.push(IAC);
                    State::Data
                }
                (State::Iac, DO | DONT | WILL | WONT) => State::Option(b),
                (State::Iac, SB) => State::Sub,
                (State::Iac, _) => State::Data,
                (State::Option(command), option) => {
                    self.answer(command, option, &mut reply);
                    State::Data
                }
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                (State::SubIac, _) => State::Sub,
            };
        }
        (data, reply)
    }

    fn answer(&mut self, command: u8, option: u8, reply: &mut Vec<u8>) {
        if self.answered.contains(&(command, option)) {
            return;
        }
        self.answered.push((command, option));
        let accept = matches!(option, BINARY | SGA);
        let answer = match (command, accept) {
            (WILL, true) => DO,
            (WILL, false) => DONT,
            (DO, true) => WILL,
            (DO, false) => WONT,
            // DONT and WONT need no answer.
            _ => return,
        };
        reply.extend([IAC, answer, option]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ser2net_greeting_is_answered_once_and_data_passes_unescaped() {
        // What ser2net 4.3 sends on connect (captured): WILL SGA, DO SGA,
        // WILL ECHO, DONT ECHO, DO BINARY, WILL BINARY, DO COM-PORT.
        let greeting = [
            255, 251, 3, 255, 253, 3, 255, 251, 1, 255, 254, 1, 255, 253, 0, 255, 251, 0, 255, 253,
            44,
        ];
        let mut d = Decoder::default();
        let (data, reply) = d.feed(&greeting);
        assert!(data.is_empty());
        assert_eq!(
            reply,
            [255, 253, 3, 255, 251, 3, 255, 254, 1, 255, 251, 0, 255, 253, 0, 255, 252, 44]
        );
        let (_, again) = d.feed(&greeting);
        assert!(again.is_empty(), "no answer loops");
        // Data split across reads, an escaped 0xFF and a subnegotiation.
        let (a, _) = d.feed(&[0, 1, 255]);
        let (b, _) = d.feed(&[255, 2, 255, 250, 44, 1, 9, 255, 240, 13, 0]);
        assert_eq!([a, b].concat(), [0, 1, 255, 2, 13, 0]);
        assert_eq!(escape(&[5, 255, 7]), [5, 255, 255, 7]);
    }
}
