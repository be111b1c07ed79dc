//go:build linux

package main

// sysSendmmsg is sendmmsg(2)'s number.
const sysSendmmsg = 269
