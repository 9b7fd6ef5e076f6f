/**
 * The few ONNX protobuf messages the tiny test models need (ModelProto, GraphProto, NodeProto,
 * TensorProto, ValueInfoProto), hand-encoded: no protobuf library is needed to write a real model.
 */

export const FLOAT = 1;
export const INT64 = 7;
export const ATTRIBUTE_INT = 2;

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Uint8Array[] = [],
): Uint8Array {
  return message([
    ...inputs.map((input) => stringField(1, input)),
    ...outputs.map((output) => stringField(2, output)),
    stringField(3, `${opType}_${outputs[0] ?? ''}`),
    stringField(4, opType),
    ...attributes.map((attribute) => bytesField(5, attribute)),
  ]);
}

export function intAttribute(name: string, value: number): Uint8Array {
  return message([stringField(1, name), varintField(3, value), varintField(20, ATTRIBUTE_INT)]);
}

export function floatTensor(name: string, dims: number[], values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((value, index) => {
    view.setFloat32(index * 4, value, true);
  });
  return message([
    ...dims.map((dim) => varintField(1, dim)),
    varintField(2, FLOAT),
    stringField(8, name),
    bytesField(9, raw),
  ]);
}

export function int64Tensor(name: string, values: number[]): Uint8Array {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((value, index) => {
    view.setBigInt64(index * 8, BigInt(value), true);
  });
  return message([
    varintField(1, values.length),
    varintField(2, INT64),
    stringField(8, name),
    bytesField(9, raw),
  ]);
}

export function valueInfo(name: string, elementType: number, dims: (number | string)[]): Uint8Array {
  const shape = message(
    dims.map((dim) =>
      bytesField(
        1,
        typeof dim === 'number' ? message([varintField(1, dim)]) : message([stringField(2, dim)]),
      ),
    ),
  );
  const tensorType = message([varintField(1, elementType), bytesField(2, shape)]);
  return message([stringField(1, name), bytesField(2, message([bytesField(1, tensorType)]))]);
}

export function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

export function bytesField(field: number, bytes: Uint8Array): Uint8Array {
  return message([Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
}

export function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, new TextEncoder().encode(text));
}

export function message(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
