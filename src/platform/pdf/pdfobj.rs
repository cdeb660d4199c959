//! Writing PDF objects by hand (lopdf keeps its writer private) and reading the few values
//! [`crate::platform::pdf::verify`] needs from untrusted bytes without a full parser.

use lopdf::Object;

use crate::platform::pdf::error::PacketError;

/// Serialize a direct object (no streams) in PDF syntax. Strings are written as hex strings.
pub(crate) fn write_object(out: &mut Vec<u8>, o: &Object) -> Result<(), PacketError> {
    match o {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => {
            if !r.is_finite() {
                return Err(PacketError::NotSignable(format!("real number {r}")));
            }
            let s = format!("{r:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            out.extend_from_slice(if s.is_empty() || s == "-" { "0" } else { s }.as_bytes());
        }
        Object::Name(n) => write_name(out, n),
        Object::String(s, _) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode_upper(s).as_bytes());
            out.push(b'>');
        }
        Object::Array(a) => {
            out.push(b'[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, item)?;
            }
            out.push(b']');
        }
        Object::Dictionary(d) => {
            out.extend_from_slice(b"<<");
            for (k, v) in d.iter() {
                write_name(out, k);
                out.push(b' ');
                write_object(out, v)?;
                out.push(b'\n');
            }
            out.extend_from_slice(b">>");
        }
        Object::Reference((id, gen_)) => out.extend_from_slice(format!("{id} {gen_} R").as_bytes()),
        Object::Stream(_) => {
            return Err(PacketError::NotSignable(
                "a stream where a direct object was expected".to_string(),
            ));
        }
    }
    Ok(())
}

/// `/Name`, escaping delimiters, `#` and bytes outside the printable range as `#xx`.
pub(crate) fn write_name(out: &mut Vec<u8>, n: &[u8]) {
    out.push(b'/');
    for &b in n {
        if (0x21..=0x7E).contains(&b) && !b"()<>[]{}/%#".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

/// The bytes of a PDF text string for `s`: ASCII as is (PDFDocEncoding), anything else
/// UTF-16BE with BOM.
pub(crate) fn text_string_bytes(s: &str) -> Vec<u8> {
    if s.is_ascii() {
        s.as_bytes().to_vec()
    } else {
        let mut b = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        b
    }
}

/// A PDF text string for `s` as a hex string: ASCII as is, anything else UTF-16BE with BOM.
pub(crate) fn hex_text_string(s: &str) -> String {
    format!("<{}>", hex::encode_upper(text_string_bytes(s)))
}

// ---------------------------------------------------------------------------------------------
// Reading untrusted bytes: every function is bounds-checked and returns None on anything odd.

pub(crate) fn is_white(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    is_white(b) || b"()<>[]{}/%".contains(&b)
}

/// Last position where `needle` occurs in `hay`.
pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

/// First position at or after `from` where `needle` occurs.
pub(crate) fn find_from(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() || hay.len() - from < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay.get(i..i + needle.len()) == Some(needle))
}

pub(crate) fn skip_white(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_white) {
        i += 1;
    }
    i
}

/// A non-negative integer at `i` (after white space): value and the index after it.
pub(crate) fn parse_uint(b: &[u8], i: usize) -> Option<(u64, usize)> {
    let start = skip_white(b, i);
    let mut j = start;
    let mut v: u64 = 0;
    while let Some(d) = b.get(j).filter(|c| c.is_ascii_digit()) {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        j += 1;
        if j - start > 19 {
            return None;
        }
    }
    (j > start).then_some((v, j))
}

/// The value of the dictionary key `/key` inside `dict` (a byte slice holding one dictionary)
/// when it is a string, decoded as a PDF text string.
pub(crate) fn string_value(dict: &[u8], key: &[u8]) -> Option<String> {
    let mut name = Vec::with_capacity(key.len() + 1);
    name.push(b'/');
    name.extend_from_slice(key);
    let mut from = 0;
    loop {
        let at = find_from(dict, &name, from)?;
        let after = at + name.len();
        from = after;
        // Must be the whole name, not a prefix of a longer one.
        if dict.get(after).is_some_and(|&c| !is_delim(c)) {
            continue;
        }
        let i = skip_white(dict, after);
        let raw = match dict.get(i)? {
            b'(' => literal_string(dict, i)?,
            b'<' if dict.get(i + 1) != Some(&b'<') => hex_string(dict, i)?,
            _ => return None,
        };
        return Some(decode_text(&raw));
    }
}

fn literal_string(b: &[u8], open: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut i = open + 1;
    loop {
        let c = *b.get(i)?;
        match c {
            b'\\' => {
                let e = *b.get(i + 1)?;
                i += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'\r' => {
                        if b.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    b'\n' => {}
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match b.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((v & 0xFF) as u8);
                    }
                    other => out.push(other),
                }
                continue;
            }
            b'(' => depth += 1,
            b')' => {
                if depth == 0 {
                    return Some(out);
                }
                depth -= 1;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
}

fn hex_string(b: &[u8], open: usize) -> Option<Vec<u8>> {
    let mut digits = Vec::new();
    let mut i = open + 1;
    loop {
        let c = *b.get(i)?;
        i += 1;
        if c == b'>' {
            break;
        }
        if is_white(c) {
            continue;
        }
        if !c.is_ascii_hexdigit() {
            return None;
        }
        digits.push(c);
    }
    if digits.len() % 2 == 1 {
        digits.push(b'0');
    }
    hex::decode(&digits).ok()
}

/// UTF-16BE with BOM, UTF-8 with BOM, or PDFDocEncoding (read as Latin-1, exact for ASCII).
fn decode_text(raw: &[u8]) -> String {
    if let Some(rest) = raw.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = raw.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    raw.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip() {
        let d = format!(
            "<< /A (x (y) \\(z\\051 \\101) /AB {} /ABC <48 69> >>",
            hex_text_string("Café №1")
        );
        let d = d.as_bytes();
        assert_eq!(string_value(d, b"A").as_deref(), Some("x (y) (z) A"));
        assert_eq!(string_value(d, b"AB").as_deref(), Some("Café №1"));
        assert_eq!(string_value(d, b"ABC").as_deref(), Some("Hi"));
        assert_eq!(string_value(d, b"X"), None);
        assert_eq!(string_value(b"/A (unterminated", b"A"), None);
        assert_eq!(string_value(b"/A <4", b"A"), None);
    }

    #[test]
    fn names_and_numbers() {
        let mut out = Vec::new();
        write_name(&mut out, b"A B#");
        assert_eq!(out, b"/A#20B#23");
        assert_eq!(parse_uint(b"  123 ", 0), Some((123, 5)));
        assert_eq!(parse_uint(b"99999999999999999999999", 0), None);
        assert_eq!(parse_uint(b"x", 0), None);
        let mut out = Vec::new();
        write_object(&mut out, &Object::Real(1.5)).unwrap();
        write_object(&mut out, &Object::Real(2.0)).unwrap();
        assert_eq!(out, b"1.52");
    }
}
