// The messages between an application domain and the monolithic topology's stack server
// (docs/topologies.md "monolithic"): three calls on the server's endpoint, whose badge (the
// client's address index + 1) says who calls, and a shared region of SHARED_PAGES pages the
// application domain allocates from its own bank and maps read-write; the server maps it too.
//
// SETUP_NOTIFY (call): caps [a signal-only notification of the application domain's]. Reply
//   [status, IPv4 address]. The server signals it when it has news for a client that said it
//   would sleep; it never waits on a client.
// SETUP_PAGE (call): words [index]; caps [page `index` of the shared region]. Reply [status].
// EXCHANGE (call): words [request bytes]. The request area (the first REQUEST_PAGES pages)
//   holds that many bytes of operation records; the server copies them into its own memory
//   before reading any (no time-of-check to time-of-use window), applies them, writes the
//   events into the response area and replies [status, response bytes, more]. `more` says the
//   response area was full: call again before sleeping.
//
// Records are little-endian 32-bit words. An operation is a header of OP_WORDS words
// [op | port << 16, socket id, a, b] and, for SEND and SENDTO, `a` bytes of data padded to a
// word. An event is a header of EVENT_WORDS words and, for DATA and DATAGRAM, its bytes padded.
// Socket ids below FIRST_ACCEPTED_ID are chosen by the client (listen, connect, bind: the
// call returns at once, as the socket API's does); the server numbers accepted connections
// from FIRST_ACCEPTED_ID on. Ids name sockets of the calling client only.

export const LABEL_SETUP_NOTIFY = 1;
export const LABEL_SETUP_PAGE = 2;
export const LABEL_EXCHANGE = 3;

export const STATUS_OK = 0;
export const STATUS_REFUSED = 1;
export const STATUS_NO_SESSION = 2;

export const PAGE_BYTES = 4096;
export const REQUEST_PAGES = 2;
export const RESPONSE_PAGES = 2;
export const SHARED_PAGES = REQUEST_PAGES + RESPONSE_PAGES;
export const REQUEST_BYTES = REQUEST_PAGES * PAGE_BYTES;
export const RESPONSE_BYTES = RESPONSE_PAGES * PAGE_BYTES;
export const RESPONSE_OFFSET = REQUEST_BYTES;

export const OP_WORDS = 4;
export const OP_LISTEN = 1; // [op, id, port, backlog]
export const OP_CONNECT = 2; // [op, id, ip, port]
export const OP_BIND = 3; // [op, id, port, 0]
export const OP_SEND = 4; // [op, id, length, 0] + data
export const OP_GRANT = 5; // [op, id, bytes]: the application consumed `bytes`, the server may hand it that many more
export const OP_CLOSE = 6; // [op, id]: close a connection's sending side, a listener, or a UDP socket
export const OP_ABORT = 7; // [op, id]
export const OP_SENDTO = 8; // [op | port << 16, id, length, ip] + data

export const EVENT_WORDS = 6;
export const EV_TCP = 1; // [ev, id, state | aborted << 8 | eof << 10, sendRoom, unacknowledged, data length] + data
export const EV_ACCEPT = 2; // [ev, listener id, new id, remote ip, remote port, local port]
export const EV_DATAGRAM = 3; // [ev, id, ip, port, 0, length] + data
export const EV_CLOSED = 4; // [ev, id]: the server forgot the socket (its connection CLOSED and reported, or the socket closed)

/** Client-chosen ids are 1 .. FIRST_ACCEPTED_ID - 1. */
export const FIRST_ACCEPTED_ID = 0x1_0000;
/** Most sockets (of all kinds) the server keeps for one client: a hostile client cannot grow the server without bound. */
export const MAX_SOCKETS_PER_CLIENT = 256;
/** Bytes of a connection's inbound data the application's mirror holds: the server hands over no more than the client granted. */
export const MIRROR_RX_BYTES = 32 * 1024;
/** Most datagrams a UDP mirror holds (the stack's own default queue). */
export const MIRROR_UDP_QUEUE = 64;

/**
 * ~ Instructions to encode or decode, check and dispatch one record, and for the server to
 * look at one socket for events (a table lookup, a few compares): the socket layer's share of
 * a call, the order of a system call's argument checks. Copies are charged by the memory view.
 */
export const OP_UNITS = 40;
export const SCAN_UNITS = 20;

/** Abort reasons on the wire of the protocol (0: none). */
export const ABORT_REASONS = Object.freeze([undefined, 'reset', 'timeout'] as const);

/** Bytes `n` takes padded to a word. */
export const padded = (n: number) => (n + 3) & ~3;

// Shared by every domain that imports this module: frozen, so none can change it for the others.
harden({ padded });
