//go:build linux

package main

// sysSendmmsg is sendmmsg(2)'s number, which package syscall does not
// define here.
const sysSendmmsg = 307
