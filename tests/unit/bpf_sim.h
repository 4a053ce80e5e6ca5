/* A classic-BPF interpreter for seccomp programs, enough for what
   linux/seccomp_bpf.c and libseccomp emit (loads of seccomp_data words,
   the scratch memory, ALU with constants, conditional and plain jumps,
   returns).  Lets the unit tests ask a filter what it answers for any
   syscall and arguments without making the call. */
#ifndef CELLRUN_BPF_SIM_H
#define CELLRUN_BPF_SIM_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <string.h>

#define BPF_SIM_BAD 0xdeadbeefU /* the program did something this interpreter does not know */

static inline uint32_t
bpf_sim (const struct sock_filter *f, size_t len, const struct seccomp_data *d)
{
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
  unsigned char data[sizeof *d];
  memcpy (data, d, sizeof data);
  for (size_t pc = 0; pc < len; pc++)
    {
      const struct sock_filter *i = &f[pc];
      uint32_t src = BPF_SRC (i->code) == BPF_X ? x : i->k;
      switch (BPF_CLASS (i->code))
        {
        case BPF_LD:
          if (BPF_MODE (i->code) == BPF_ABS && i->k + 4 <= sizeof data)
            memcpy (&a, data + i->k, 4);
          else if (BPF_MODE (i->code) == BPF_MEM && i->k < BPF_MEMWORDS)
            a = mem[i->k];
          else if (BPF_MODE (i->code) == BPF_IMM)
            a = i->k;
          else
            return BPF_SIM_BAD;
          break;
        case BPF_LDX:
          if (BPF_MODE (i->code) == BPF_MEM && i->k < BPF_MEMWORDS)
            x = mem[i->k];
          else if (BPF_MODE (i->code) == BPF_IMM)
            x = i->k;
          else
            return BPF_SIM_BAD;
          break;
        case BPF_ST:
          if (i->k >= BPF_MEMWORDS)
            return BPF_SIM_BAD;
          mem[i->k] = a;
          break;
        case BPF_STX:
          if (i->k >= BPF_MEMWORDS)
            return BPF_SIM_BAD;
          mem[i->k] = x;
          break;
        case BPF_ALU:
          switch (BPF_OP (i->code))
            {
            case BPF_AND: a &= src; break;
            case BPF_OR: a |= src; break;
            case BPF_ADD: a += src; break;
            case BPF_SUB: a -= src; break;
            case BPF_LSH: a <<= src; break;
            case BPF_RSH: a >>= src; break;
            default: return BPF_SIM_BAD;
            }
          break;
        case BPF_MISC:
          if (BPF_MISCOP (i->code) == BPF_TAX)
            x = a;
          else
            a = x;
          break;
        case BPF_JMP:
          {
            bool t;
            switch (BPF_OP (i->code))
              {
              case BPF_JA: pc += i->k; continue;
              case BPF_JEQ: t = a == src; break;
              case BPF_JGT: t = a > src; break;
              case BPF_JGE: t = a >= src; break;
              case BPF_JSET: t = (a & src) != 0; break;
              default: return BPF_SIM_BAD;
              }
            pc += t ? i->jt : i->jf;
            break;
          }
        case BPF_RET: return BPF_RVAL (i->code) == BPF_A ? a : i->k;
        default: return BPF_SIM_BAD;
        }
    }
  return BPF_SIM_BAD; /* fell off the end */
}

#endif
