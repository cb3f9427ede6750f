// SPDX-License-Identifier: GPL-2.0
/*
 * dtrawtty: turn echo and NL-to-CRNL off on standard input's terminal,
 * at once (TCSANOW), as `stty -echo -onlcr` would after waiting for the
 * output to drain (TCSADRAIN). On arm64 guests under TCG the PL011's
 * first transmit interrupt after boot is sometimes never seen, and a
 * drain then waits for ever; the next write restarts transmission.
 */
#include <stdio.h>
#include <termios.h>

int main(void)
{
	struct termios t;

	if (tcgetattr(0, &t)) {
		perror("dtrawtty: tcgetattr");
		return 1;
	}
	t.c_lflag &= ~(tcflag_t)ECHO;
	t.c_oflag &= ~(tcflag_t)ONLCR;
	if (tcsetattr(0, TCSANOW, &t)) {
		perror("dtrawtty: tcsetattr");
		return 1;
	}
	return 0;
}
