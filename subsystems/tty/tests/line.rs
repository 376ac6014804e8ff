//! The line discipline as a user at a terminal sees it: what is echoed,
//! what a program reads, and which signal a key sends.

use tty::termios::{cc, iflag, lflag, oflag};
use tty::{Input, JobSignal, LineDiscipline, ReadOutcome};

fn type_in(tty: &mut LineDiscipline, keys: &[u8]) -> (Vec<u8>, Vec<JobSignal>) {
    let mut echo = Vec::new();
    let mut signals = Vec::new();
    for &key in keys {
        let Input {
            echo: e, signal, ..
        } = tty.receive(key);
        echo.extend(e);
        signals.extend(signal);
    }
    (echo, signals)
}

fn read_all(tty: &mut LineDiscipline) -> Vec<u8> {
    let mut buf = [0u8; 256];
    match tty.read(&mut buf) {
        ReadOutcome::Data(n) => buf[..n].to_vec(),
        other => panic!("{other:?}"),
    }
}

fn raw(tty: &mut LineDiscipline) {
    let mut t = tty.termios();
    t.lflag &= !(lflag::ICANON | lflag::ECHO);
    tty.set_termios(t);
}

#[test]
fn a_typed_line_is_echoed_and_read_only_once_enter_is_pressed() {
    let mut tty = LineDiscipline::new();
    let (echo, signals) = type_in(&mut tty, b"ls -l");
    assert_eq!(echo, b"ls -l");
    assert!(signals.is_empty());
    assert_eq!(tty.read(&mut [0; 16]), ReadOutcome::Empty, "no line yet");
    // Enter sends CR; ICRNL makes it NL, ONLCR echoes CR-NL.
    let (echo, _) = type_in(&mut tty, b"\r");
    assert_eq!(echo, b"\r\n");
    assert_eq!(read_all(&mut tty), b"ls -l\n");
    assert_eq!(tty.read(&mut [0; 16]), ReadOutcome::Empty);
}

#[test]
fn a_read_returns_at_most_one_line_and_the_rest_later() {
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"one\rtwo\r");
    assert_eq!(tty.available(), 8);
    let mut small = [0u8; 2];
    assert_eq!(tty.read(&mut small), ReadOutcome::Data(2));
    assert_eq!(&small, b"on");
    assert_eq!(read_all(&mut tty), b"e\n");
    assert_eq!(read_all(&mut tty), b"two\n");
}

#[test]
fn backspace_erases_on_the_line_and_on_screen() {
    let mut tty = LineDiscipline::new();
    let (echo, _) = type_in(&mut tty, b"cax\x7f\x7ft\r");
    assert_eq!(echo, b"cax\x08 \x08\x08 \x08t\r\n");
    assert_eq!(read_all(&mut tty), b"ct\n");
    // Erasing at the start of a line does nothing.
    let (echo, _) = type_in(&mut tty, b"\x7f");
    assert!(echo.is_empty());
}

#[test]
fn erase_takes_a_whole_utf8_character_and_two_columns_for_a_control_echo() {
    let mut tty = LineDiscipline::new();
    // IUTF8, which locales set (it is not among Linux's defaults).
    let mut t = tty.termios();
    t.iflag |= iflag::IUTF8;
    tty.set_termios(t);
    type_in(&mut tty, "né".as_bytes());
    type_in(&mut tty, b"\x7f\r");
    assert_eq!(read_all(&mut tty), b"n\n");
    // A literal ^A shows as two columns: erasing it wipes both.
    let (echo, _) = type_in(&mut tty, b"\x16\x01\x7f");
    assert!(echo.ends_with(b"\x08 \x08\x08 \x08"), "{echo:?}");
}

#[test]
fn word_erase_and_line_kill_edit_the_line() {
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"echo hello world  \x17");
    type_in(&mut tty, b"there\r");
    assert_eq!(read_all(&mut tty), b"echo hello there\n");
    let (echo, _) = type_in(&mut tty, b"abc\x15");
    assert_eq!(
        echo, b"abc\x08 \x08\x08 \x08\x08 \x08",
        "ECHOKE erases on screen"
    );
    type_in(&mut tty, b"ok\r");
    assert_eq!(read_all(&mut tty), b"ok\n");
}

#[test]
fn ctrl_d_ends_a_line_without_a_newline_and_alone_means_end_of_file() {
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"partial\x04");
    assert_eq!(read_all(&mut tty), b"partial");
    type_in(&mut tty, b"\x04");
    assert_eq!(tty.read(&mut [0; 8]), ReadOutcome::EndOfFile);
    assert_eq!(tty.read(&mut [0; 8]), ReadOutcome::Empty, "one EOF per ^D");
}

#[test]
fn ctrl_c_ctrl_backslash_and_ctrl_z_signal_the_foreground_and_flush_input() {
    let mut tty = LineDiscipline::new();
    let (echo, signals) = type_in(&mut tty, b"sleep 100\x03");
    assert_eq!(signals, [JobSignal::Interrupt]);
    assert!(echo.ends_with(b"^C"));
    type_in(&mut tty, b"\r");
    assert_eq!(read_all(&mut tty), b"\n", "the interrupted line is gone");
    let (_, signals) = type_in(&mut tty, b"\x1c\x1a");
    assert_eq!(signals, [JobSignal::Quit, JobSignal::Suspend]);
    assert_eq!(JobSignal::Interrupt.number(), 2);
    assert_eq!(JobSignal::Suspend.number(), 20);
}

#[test]
fn noflsh_keeps_input_and_without_isig_the_keys_are_data() {
    let mut tty = LineDiscipline::new();
    let mut t = tty.termios();
    t.lflag |= lflag::NOFLSH;
    tty.set_termios(t);
    type_in(&mut tty, b"keep\x03\r");
    assert_eq!(read_all(&mut tty), b"keep\n");
    t.lflag &= !lflag::ISIG;
    tty.set_termios(t);
    let (_, signals) = type_in(&mut tty, b"\x03\r");
    assert!(signals.is_empty());
    assert_eq!(read_all(&mut tty), b"\x03\n");
}

#[test]
fn literal_next_takes_a_special_character_as_data() {
    let mut tty = LineDiscipline::new();
    let (_, signals) = type_in(&mut tty, b"\x16\x03\x16\x7f\r");
    assert!(signals.is_empty());
    assert_eq!(read_all(&mut tty), b"\x03\x7f\n");
}

#[test]
fn raw_mode_hands_over_every_byte_at_once_without_echo() {
    let mut tty = LineDiscipline::new();
    raw(&mut tty);
    let input = tty.receive(b'q');
    assert!(input.readable);
    assert!(input.echo.is_empty());
    type_in(&mut tty, b"\x7f\x15");
    assert_eq!(read_all(&mut tty), b"q\x7f\x15");
    assert_eq!(tty.min_and_time(), (1, 0));
}

#[test]
fn leaving_canonical_mode_releases_the_line_being_edited() {
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"done\rhalf");
    raw(&mut tty);
    assert_eq!(read_all(&mut tty), b"done\nhalf");
}

#[test]
fn input_translations_follow_the_flags() {
    let mut tty = LineDiscipline::new();
    let mut t = tty.termios();
    t.iflag = iflag::IGNCR;
    tty.set_termios(t);
    type_in(&mut tty, b"a\rb\n");
    assert_eq!(read_all(&mut tty), b"ab\n");
    t.iflag = iflag::INLCR | iflag::ISTRIP;
    t.cc[cc::VEOL] = b'\r';
    tty.set_termios(t);
    type_in(&mut tty, &[b'x' | 0x80, b'\n']);
    assert_eq!(
        read_all(&mut tty),
        b"x\r",
        "NL became CR, which ends the line as VEOL"
    );
}

#[test]
fn output_turns_newlines_into_cr_nl_only_under_opost_onlcr() {
    let mut tty = LineDiscipline::new();
    assert_eq!(tty.output(b"a\nb"), b"a\r\nb");
    let mut t = tty.termios();
    t.oflag = oflag::OPOST | oflag::OCRNL;
    tty.set_termios(t);
    assert_eq!(tty.output(b"a\rb\n"), b"a\nb\n");
    t.oflag = 0;
    tty.set_termios(t);
    assert_eq!(tty.output(b"a\nb"), b"a\nb");
}

#[test]
fn echonl_echoes_newlines_when_echo_is_off() {
    let mut tty = LineDiscipline::new();
    let mut t = tty.termios();
    t.lflag &= !lflag::ECHO;
    t.lflag |= lflag::ECHONL;
    tty.set_termios(t);
    let (echo, _) = type_in(&mut tty, b"secret\r");
    assert_eq!(echo, b"\r\n");
    assert_eq!(read_all(&mut tty), b"secret\n");
}

#[test]
fn a_full_line_drops_further_input_but_still_takes_its_end() {
    let mut tty = LineDiscipline::new();
    let long = vec![b'a'; tty::line::BUFFER_SIZE + 100];
    type_in(&mut tty, &long);
    type_in(&mut tty, b"\r");
    let mut buf = vec![0u8; 8192];
    match tty.read(&mut buf) {
        ReadOutcome::Data(n) => {
            assert_eq!(n, tty::line::BUFFER_SIZE + 1);
            assert_eq!(buf[n - 1], b'\n');
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn flushing_drops_unread_input() {
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"old\rnew");
    tty.flush_input();
    assert!(!tty.readable());
    type_in(&mut tty, b"\r");
    assert_eq!(read_all(&mut tty), b"\n");
}

fn with_min_time(min: u8, time: u8) -> LineDiscipline {
    let mut tty = LineDiscipline::new();
    raw(&mut tty);
    let mut t = tty.termios();
    t.cc[tty::termios::cc::VMIN] = min;
    t.cc[tty::termios::cc::VTIME] = time;
    tty.set_termios(t);
    tty
}

const TENTH: u64 = 100_000_000;

#[test]
fn vmin_and_vtime_decide_when_a_raw_read_returns() {
    use tty::ReadWait::*;
    // MIN 0, TIME 0: at once, even with nothing there.
    assert_eq!(with_min_time(0, 0).read_wait(10, 0, None, 0), Now);
    // MIN 0, TIME 2: a byte, or 200 ms after the read began.
    let mut tty = with_min_time(0, 2);
    assert_eq!(tty.read_wait(10, 1000, None, 1000), Until(1000 + 2 * TENTH));
    assert_eq!(tty.read_wait(10, 1000, None, 1000 + 2 * TENTH), Now);
    type_in(&mut tty, b"x");
    assert_eq!(tty.read_wait(10, 1000, None, 1000), Now);
    // MIN 3, TIME 0: three bytes, or fewer if fewer were asked for.
    let mut tty = with_min_time(3, 0);
    type_in(&mut tty, b"ab");
    assert_eq!(tty.read_wait(10, 0, None, u64::MAX), ForInput);
    assert_eq!(tty.read_wait(2, 0, None, 0), Now);
    type_in(&mut tty, b"c");
    assert_eq!(tty.read_wait(10, 0, None, 0), Now);
    // MIN 2, TIME 2: no timer before the first byte, then 200 ms after
    // the last one.
    let mut tty = with_min_time(2, 2);
    assert_eq!(tty.read_wait(10, 0, None, 5 * TENTH), ForInput);
    type_in(&mut tty, b"a");
    assert_eq!(tty.read_wait(10, 0, Some(TENTH), TENTH), Until(3 * TENTH));
    assert_eq!(tty.read_wait(10, 0, Some(TENTH), 3 * TENTH), Now);
    type_in(&mut tty, b"b");
    assert_eq!(tty.read_wait(10, 0, Some(TENTH), TENTH), Now);
}

#[test]
fn canonical_reads_wait_for_a_line_whatever_vmin_says() {
    use tty::ReadWait::*;
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"partial");
    assert_eq!(tty.read_wait(10, 0, None, u64::MAX), ForInput);
    type_in(&mut tty, b"\r");
    assert_eq!(tty.read_wait(10, 0, None, 0), Now);
    let mut tty = LineDiscipline::new();
    type_in(&mut tty, b"\x04");
    assert_eq!(
        tty.read_wait(10, 0, None, 0),
        Now,
        "end of file is readable"
    );
}
