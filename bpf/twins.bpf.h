/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kprobe/fentry twins of the full hook set (bpf/full.bpf.c), generated
 * from one line per hook.  Each hook fn has one body, an __always_inline
 * handler; these macros wrap it in the programs the loader (user/full.c)
 * chooses from by name:
 *
 *   kp_<fn>  SEC("kprobe")        BPF_KPROBE, arguments from pt_regs
 *   kr_<fn>  SEC("kretprobe")     BPF_KRETPROBE, the return value
 *   fe_<fn>  SEC("fentry/<fn>")   BPF_PROG, typed arguments
 *   fx_<fn>  SEC("fexit/<fn>")    BPF_PROG, typed arguments then the return value
 *
 * A call is any expression over the argument names (and ret at exit).
 * IT_TWIN_ENTRY makes kp_ and fe_, IT_TWINS all four (its argument lists
 * parenthesized: (type a, type b)); IT_KPROBE, IT_KRETPROBE, IT_FENTRY and
 * IT_FEXIT make one, where a hook's other programs are written out.  Hooks
 * whose twins differ in more than the wrapper (arguments saved in slots
 * for the kretprobe, bpf_get_func_arg, clones attached by address, more
 * arguments than BPF_KPROBE takes) stay written out in full.bpf.c.
 */
#ifndef IRQTRAIL_TWINS_BPF_H
#define IRQTRAIL_TWINS_BPF_H

#define IT_UNPAREN(...) __VA_ARGS__

/* one program: SEC(sec) int wrap(name, args) { call; return 0; }; the
 * callers expand the argument list (a parenthesized one included) first */
#define IT_WRAP_(sec, wrap, name, call, ...)		\
	SEC(sec)					\
	int wrap(name __VA_OPT__(,) __VA_ARGS__)	\
	{						\
		call;					\
		return 0;				\
	}

#define IT_KPROBE(fn, call, ...) IT_WRAP_("kprobe", BPF_KPROBE, kp_##fn, call, __VA_ARGS__)
#define IT_KRETPROBE(fn, call, ...) IT_WRAP_("kretprobe", BPF_KRETPROBE, kr_##fn, call, __VA_ARGS__)
#define IT_FENTRY(fn, call, ...) IT_WRAP_("fentry/" #fn, BPF_PROG, fe_##fn, call, __VA_ARGS__)
#define IT_FEXIT(fn, call, ...) IT_WRAP_("fexit/" #fn, BPF_PROG, fx_##fn, call, __VA_ARGS__)

/* kp_<fn> + fe_<fn>: one handler call at entry */
#define IT_TWIN_ENTRY(fn, call, ...)			\
	IT_KPROBE(fn, call, __VA_ARGS__)		\
	IT_FENTRY(fn, call, __VA_ARGS__)

/* kp_<fn>, kr_<fn>, fe_<fn>, fx_<fn>: enter at entry over args, leave at
 * exit over ret (int); xargs is the fexit list: every argument of fn,
 * then int ret. */
#define IT_TWINS(fn, enter, leave, args, xargs)		\
	IT_KPROBE(fn, enter, IT_UNPAREN args)		\
	IT_KRETPROBE(fn, leave, int ret)		\
	IT_FENTRY(fn, enter, IT_UNPAREN args)		\
	IT_FEXIT(fn, leave, IT_UNPAREN xargs)

#endif
