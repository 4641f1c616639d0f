#!/usr/bin/python3
"""Write the lab scenarios' [DEFAULT] overrides at the end of a nova config.

    confedit.py FILE [OPTION=VALUE ...]

The overrides live in one marked block at the end of FILE; oslo.config takes
the last occurrence of an option, so they win over the same option set
earlier. Without OPTION=VALUE arguments the block is removed and FILE is as
the lab wrote it. The file is rewritten in place, so its owner and mode stay
(compute3's /etc/nova/nova.conf is root:root 0640).
"""
import sys

BEGIN = '# >>> lab scenario overrides (tests/lab/scenario.sh; removed by cleanup)'
END = '# <<< lab scenario overrides'


def strip_block(lines):
    out, inside = [], False
    for line in lines:
        if line.rstrip('\n') == BEGIN:
            inside = True
            continue
        if inside:
            if line.rstrip('\n') == END:
                inside = False
            continue
        out.append(line)
    return out


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    path, pairs = argv[1], argv[2:]
    with open(path) as f:
        lines = strip_block(f.readlines())
    if lines and not lines[-1].endswith('\n'):
        lines[-1] += '\n'
    if pairs:
        lines.append(BEGIN + '\n')
        lines.append('[DEFAULT]\n')
        for pair in pairs:
            option, sep, value = pair.partition('=')
            if not sep or not option:
                raise SystemExit('not OPTION=VALUE: %s' % pair)
            lines.append('%s = %s\n' % (option, value))
        lines.append(END + '\n')
    with open(path, 'r+') as f:
        f.seek(0)
        f.write(''.join(lines))
        f.truncate()


if __name__ == '__main__':
    main(sys.argv)
