import { Injectable } from '@nestjs/common';
import { WampArg, WampException, WampRpc, WampSession } from 'nest-wamp';
import { CALC_ERROR, RPC } from '../uris.js';

type Operator = '+' | '-' | '*' | '/';

interface CalculatorState {
  readonly value: number;
  readonly pending?: Operator;
}

const STATE_KEY = 'calculator';
const OPERATORS: Record<Operator, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

/**
 * clj-wamp-example's pocket calculator: each call applies the operator kept from the
 * previous call to the new value, then keeps the new operator. "C" clears, "=" finishes.
 * The state is per session, in `session.data`, so it goes away with the session.
 */
@Injectable()
export class CalculatorService {
  @WampRpc(`${RPC}calc`)
  calc(@WampSession() session: WampSession, @WampArg(0) op: unknown, @WampArg(1) input: unknown): number {
    try {
      return this.apply(session, op, input);
    } catch (error) {
      delete session.data[STATE_KEY];
      throw error;
    }
  }

  private apply(session: WampSession, op: unknown, input: unknown): number {
    if (op === 'C') {
      delete session.data[STATE_KEY];
      return 0;
    }
    if (op !== '=' && !(typeof op === 'string' && op in OPERATORS)) throw calcError(`invalid operation ${JSON.stringify(op)}`);
    const value = toNumber(input);
    const state = session.data[STATE_KEY] as CalculatorState | undefined;
    const result = state?.pending ? compute(state.value, state.pending, value) : value;
    if (op === '=') delete session.data[STATE_KEY];
    else session.data[STATE_KEY] = { value: result, pending: op as Operator } satisfies CalculatorState;
    return result;
  }
}

function compute(a: number, operator: Operator, b: number): number {
  if (operator === '/' && b === 0) throw calcError('division by zero');
  return OPERATORS[operator](a, b);
}

function toNumber(input: unknown): number {
  const value = typeof input === 'string' && input.trim() !== '' ? Number(input) : input;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw calcError(`not a number: ${JSON.stringify(input)}`);
  return value;
}

function calcError(details: string): WampException {
  return new WampException(CALC_ERROR, 'calculator error', details);
}
