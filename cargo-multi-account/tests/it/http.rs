//! A browser, as far as these apps need one: HTTP/1.1 over a fresh TCP
//! connection per request, a cookie jar, forms, no redirects followed.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Browser {
    addr: SocketAddr,
    cookies: BTreeMap<String, String>,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("{error}: {self:?}"))
    }
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, cookies: BTreeMap::new() }
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, None)
    }

    pub fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body = fields.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>();
        self.send("POST", path, Some(body.join("&")))
    }

    fn send(&mut self, method: &str, path: &str, form: Option<String>) -> Response {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        if !self.cookies.is_empty() {
            let cookies: Vec<String> = self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect();
            request.push_str(&format!("Cookie: {}\r\n", cookies.join("; ")));
        }
        let body = form.unwrap_or_default();
        if method == "POST" {
            // What a browser sends with a form from the app's own page.
            request.push_str(&format!(
                "Origin: http://{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                self.addr,
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let head_end = raw.windows(4).position(|window| window == b"\r\n\r\n").expect("the end of the headers");
        let head = String::from_utf8(raw[..head_end].to_vec()).unwrap();
        let body = &raw[head_end + 4..];
        let mut lines = head.lines();
        let status = lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse().ok()).unwrap();
        let mut location = None;
        let mut chunked = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "location" => location = Some(value.to_owned()),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "set-cookie" => self.keep(value),
                _ => {}
            }
        }
        let body = if chunked { dechunk(body) } else { body.to_vec() };
        Response { status, location, body: String::from_utf8(body).unwrap() }
    }

    fn keep(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else { return };
        // The servers here remove a cookie with `Max-Age=0` (and an `Expires`
        // in the past, which a browser would read the same way).
        let expired = parts.any(|attribute| {
            let attribute = attribute.trim().to_ascii_lowercase();
            attribute == "max-age=0" || attribute.starts_with("expires=thu, 01 jan 1970")
        });
        if value.is_empty() || expired {
            self.cookies.remove(name.trim());
        } else {
            self.cookies.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

/// Form encoding: everything but unreserved characters percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Decodes `%XX` escapes (and `+` as a space).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[index + 1..index + 3], 16).unwrap());
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|window| window == b"\r\n").expect("a chunk size");
        let size = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap_or_default().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        let chunk = &rest[line_end + 2..];
        out.extend_from_slice(&chunk[..size]);
        rest = &chunk[size + 2..];
    }
}
