/** caller-fds: which open descriptors came from vagga's caller. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyCallerFds, hasCloexec } from '../../../src/sandbox/caller-fds.js';

test('fdinfo flags: O_CLOEXEC is 02000000 (octal)', () => {
  assert.equal(hasCloexec('pos:\t0\nflags:\t02100000\nmnt_id:\t27\n'), true);
  assert.equal(hasCloexec('pos:\t0\nflags:\t0100000\n'), false);
  assert.equal(hasCloexec('pos:\t0\n'), false);
});

test('node\'s own (epoll, eventfd, both ends of a pipe, anything close-on-exec from 16 up) are left out; the caller\'s kept', () => {
  const fds = [
    { fd: 0, link: '/dev/null', cloexec: true },
    { fd: 3, link: 'anon_inode:[eventpoll]', cloexec: true },
    { fd: 4, link: 'pipe:[11]', cloexec: true },
    { fd: 5, link: '/etc/hostname', cloexec: true }, // a shell's exec 5<file, marked by libuv
    { fd: 6, link: 'pipe:[11]', cloexec: true },
    { fd: 7, link: 'socket:[99]', cloexec: true }, // socket activation, marked by libuv
    { fd: 8, link: 'pipe:[12]', cloexec: true }, // one end of a caller's pipe
    { fd: 10, link: 'anon_inode:[eventfd]', cloexec: true },
    { fd: 20, link: 'pipe:[13]', cloexec: true }, // above libuv's range: node's
    { fd: 21, link: 'socket:[14]', cloexec: true },
    { fd: 251, link: 'pipe:[15]', cloexec: false }, // inherited, never marked
  ];
  assert.deepEqual(classifyCallerFds(fds), [5, 7, 8, 251]);
});
