/* SPDX-License-Identifier: GPL-2.0-only */
/* irqtrail top: the dashboard, for other commands that open it. */
#ifndef IRQTRAIL_TOP_H
#define IRQTRAIL_TOP_H

/*
 * Open the dashboard on a recording (`irqtrail replay FILE`): interactive
 * when stdin and stdout are terminals, text frames (one per second of the
 * recording) otherwise.  speed scales the replay clock (1 = real time, 0 =
 * as fast as possible).  Returns an exit status (0 on q).
 */
int it_top_run_replay(const char *file, double speed);

#endif
