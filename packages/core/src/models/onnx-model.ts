import {
  MalformedProtobuf,
  ProtoReader,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
  expectWireType,
  fieldOf,
  wireTypeOf,
} from './protobuf';

/**
 * The parts of an ONNX `ModelProto` that Tailor reads, decoded from the protobuf bytes with the field
 * numbers of onnx.proto. Fields it does not need (docs, subgraphs, functions, training info) are skipped.
 */
export interface OnnxModel {
  readonly irVersion: number;
  readonly producerName: string;
  readonly modelVersion: number;
  readonly opsetImports: readonly OnnxOpset[];
  /** metadata_props, as found in the file. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly graph: OnnxGraph;
}

export interface OnnxOpset {
  /** `''` (or `ai.onnx`) for the standard operators, `ai.onnx.ml` for the classical ML ones. */
  readonly domain: string;
  readonly version: number;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, OnnxTensor>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

export interface OnnxAttribute {
  readonly name: string;
  readonly f?: number;
  readonly i?: number;
  readonly s?: string;
  readonly t?: OnnxTensor;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
  readonly strings: readonly string[];
}

/** TensorProto.DataType values Tailor decodes. */
export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;
export const ONNX_STRING = 8;
export const ONNX_DOUBLE = 11;

export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  /** Decoded values for FLOAT, DOUBLE, INT32 and INT64 tensors; undefined for other types or external data. */
  readonly values?: readonly number[];
}

export interface OnnxValueInfo {
  readonly name: string;
  /** `tensor` for tensors; `sequence`/`map` for ZipMap-style outputs; `unknown` when the type is missing. */
  readonly kind: 'tensor' | 'sequence' | 'map' | 'unknown';
  /** Element type of a tensor (TensorProto.DataType), 0 when unknown. */
  readonly elemType: number;
  /** Dimensions: a number when fixed, a string for a symbolic dim, undefined when not given. */
  readonly dims: readonly (number | string | undefined)[];
}

export type ReadOnnxModelResult = { readonly ok: true; readonly model: OnnxModel } | { readonly ok: false; readonly error: string };

/**
 * Decodes an ONNX file. Never throws: bytes that are not a well-formed ModelProto give `{ ok: false }` with
 * a message naming what is wrong.
 *
 * @example
 * const read = readOnnxModel(bytes);
 * if (read.ok) console.log(read.model.graph.nodes.map((node) => node.opType));
 */
export function readOnnxModel(bytes: Uint8Array): ReadOnnxModelResult {
  try {
    const model = readModel(new ProtoReader(bytes));
    if (model.graph === undefined) return { ok: false, error: 'not an ONNX model: it has no graph (ModelProto field 7)' };
    return { ok: true, model: { ...model, graph: model.graph } };
  } catch (error) {
    if (error instanceof MalformedProtobuf) return { ok: false, error: `not an ONNX model: ${error.message}` };
    if (error instanceof RangeError) return { ok: false, error: `not an ONNX model: ${error.message}` };
    throw error;
  }
}

function readModel(reader: ProtoReader): Omit<OnnxModel, 'graph'> & { graph?: OnnxGraph } {
  let irVersion = 0;
  let producerName = '';
  let modelVersion = 0;
  let graph: OnnxGraph | undefined;
  const opsetImports: OnnxOpset[] = [];
  const metadata: Array<[string, string]> = [];
  while (reader.hasMore()) {
    const key = reader.readKey();
    switch (fieldOf(key)) {
      case 1:
        expectWireType(key, WIRE_VARINT, 'ModelProto.ir_version');
        irVersion = reader.readInt64();
        break;
      case 2:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'ModelProto.producer_name');
        producerName = reader.readString();
        break;
      case 5:
        expectWireType(key, WIRE_VARINT, 'ModelProto.model_version');
        modelVersion = reader.readInt64();
        break;
      case 7:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'ModelProto.graph');
        graph = readGraph(reader.readMessage());
        break;
      case 8:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'ModelProto.opset_import');
        opsetImports.push(readOpset(reader.readMessage()));
        break;
      case 14:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'ModelProto.metadata_props');
        metadata.push(readStringPair(reader.readMessage()));
        break;
      default:
        reader.skip(wireTypeOf(key));
    }
  }
  // fromEntries defines own properties, so a `__proto__` key stays a plain entry.
  return { irVersion, producerName, modelVersion, opsetImports, metadata: Object.fromEntries(metadata), graph };
}

function readOpset(reader: ProtoReader): OnnxOpset {
  let domain = '';
  let version = 0;
  while (reader.hasMore()) {
    const key = reader.readKey();
    if (fieldOf(key) === 1 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) domain = reader.readString();
    else if (fieldOf(key) === 2 && wireTypeOf(key) === WIRE_VARINT) version = reader.readInt64();
    else reader.skip(wireTypeOf(key));
  }
  return { domain, version };
}

function readStringPair(reader: ProtoReader): [string, string] {
  let first = '';
  let second = '';
  while (reader.hasMore()) {
    const key = reader.readKey();
    if (fieldOf(key) === 1 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) first = reader.readString();
    else if (fieldOf(key) === 2 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) second = reader.readString();
    else reader.skip(wireTypeOf(key));
  }
  return [first, second];
}

function readGraph(reader: ProtoReader): OnnxGraph {
  let name = '';
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensor>();
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  while (reader.hasMore()) {
    const key = reader.readKey();
    const field = fieldOf(key);
    if (field === 1 || field === 2 || field === 5 || field === 11 || field === 12) expectWireType(key, WIRE_LENGTH_DELIMITED, `GraphProto field ${field}`);
    switch (field) {
      case 1:
        nodes.push(readNode(reader.readMessage()));
        break;
      case 2:
        name = reader.readString();
        break;
      case 5: {
        const tensor = readTensor(reader.readMessage());
        initializers.set(tensor.name, tensor);
        break;
      }
      case 11:
        inputs.push(readValueInfo(reader.readMessage()));
        break;
      case 12:
        outputs.push(readValueInfo(reader.readMessage()));
        break;
      default:
        reader.skip(wireTypeOf(key));
    }
  }
  return { name, nodes, initializers, inputs, outputs };
}

function readNode(reader: ProtoReader): OnnxNode {
  let name = '';
  let opType = '';
  let domain = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, OnnxAttribute>();
  while (reader.hasMore()) {
    const key = reader.readKey();
    const field = fieldOf(key);
    if (field >= 1 && field <= 7 && field !== 6) expectWireType(key, WIRE_LENGTH_DELIMITED, `NodeProto field ${field}`);
    switch (field) {
      case 1:
        inputs.push(reader.readString());
        break;
      case 2:
        outputs.push(reader.readString());
        break;
      case 3:
        name = reader.readString();
        break;
      case 4:
        opType = reader.readString();
        break;
      case 5: {
        const attribute = readAttribute(reader.readMessage());
        attributes.set(attribute.name, attribute);
        break;
      }
      case 7:
        domain = reader.readString();
        break;
      default:
        reader.skip(wireTypeOf(key));
    }
  }
  return { name, opType, domain: domain === 'ai.onnx' ? '' : domain, inputs, outputs, attributes };
}

const readFloat = (reader: ProtoReader) => reader.readFloat();
const readDouble = (reader: ProtoReader) => reader.readDouble();
const readInt64 = (reader: ProtoReader) => reader.readInt64();

function readAttribute(reader: ProtoReader): OnnxAttribute {
  let name = '';
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: OnnxTensor | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  while (reader.hasMore()) {
    const key = reader.readKey();
    const wireType = wireTypeOf(key);
    switch (fieldOf(key)) {
      case 1:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'AttributeProto.name');
        name = reader.readString();
        break;
      case 2:
        expectWireType(key, WIRE_FIXED32, 'AttributeProto.f');
        f = reader.readFloat();
        break;
      case 3:
        expectWireType(key, WIRE_VARINT, 'AttributeProto.i');
        i = reader.readInt64();
        break;
      case 4:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'AttributeProto.s');
        s = reader.readString();
        break;
      case 5:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'AttributeProto.t');
        t = readTensor(reader.readMessage());
        break;
      case 7:
        reader.readRepeated(wireType, WIRE_FIXED32, readFloat, floats);
        break;
      case 8:
        reader.readRepeated(wireType, WIRE_VARINT, readInt64, ints);
        break;
      case 9:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'AttributeProto.strings');
        strings.push(reader.readString());
        break;
      default:
        reader.skip(wireType);
    }
  }
  return { name, f, i, s, t, floats, ints, strings };
}

function readTensor(reader: ProtoReader): OnnxTensor {
  let name = '';
  let dataType = 0;
  let raw: Uint8Array | undefined;
  let external = false;
  const dims: number[] = [];
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: number[] = [];
  const doubleData: number[] = [];
  while (reader.hasMore()) {
    const key = reader.readKey();
    const wireType = wireTypeOf(key);
    switch (fieldOf(key)) {
      case 1:
        reader.readRepeated(wireType, WIRE_VARINT, readInt64, dims);
        break;
      case 2:
        expectWireType(key, WIRE_VARINT, 'TensorProto.data_type');
        dataType = reader.readVarint();
        break;
      case 4:
        reader.readRepeated(wireType, WIRE_FIXED32, readFloat, floatData);
        break;
      case 5:
        reader.readRepeated(wireType, WIRE_VARINT, readInt64, int32Data);
        break;
      case 7:
        reader.readRepeated(wireType, WIRE_VARINT, readInt64, int64Data);
        break;
      case 8:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'TensorProto.name');
        name = reader.readString();
        break;
      case 9:
        expectWireType(key, WIRE_LENGTH_DELIMITED, 'TensorProto.raw_data');
        raw = reader.readBytes();
        break;
      case 10:
        reader.readRepeated(wireType, WIRE_FIXED64, readDouble, doubleData);
        break;
      case 14:
        expectWireType(key, WIRE_VARINT, 'TensorProto.data_location');
        external = reader.readVarint() === 1;
        break;
      default:
        reader.skip(wireType);
    }
  }
  if (external) return { name, dims, dataType };
  return { name, dims, dataType, values: tensorValues(dataType, raw, { floatData, int32Data, int64Data, doubleData }) };
}

function tensorValues(
  dataType: number,
  raw: Uint8Array | undefined,
  typed: { floatData: number[]; int32Data: number[]; int64Data: number[]; doubleData: number[] },
): number[] | undefined {
  const width = dataType === ONNX_FLOAT || dataType === ONNX_INT32 ? 4 : dataType === ONNX_DOUBLE || dataType === ONNX_INT64 ? 8 : 0;
  if (width === 0) return undefined;
  if (raw === undefined) {
    if (dataType === ONNX_FLOAT) return typed.floatData;
    if (dataType === ONNX_DOUBLE) return typed.doubleData;
    return dataType === ONNX_INT32 ? typed.int32Data : typed.int64Data;
  }
  if (raw.length % width !== 0) throw new MalformedProtobuf(`raw_data of ${raw.length} bytes is not a whole number of ${width}-byte values`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const values = new Array<number>(raw.length / width);
  for (let i = 0; i < values.length; i++) {
    const at = i * width;
    if (dataType === ONNX_FLOAT) values[i] = view.getFloat32(at, true);
    else if (dataType === ONNX_DOUBLE) values[i] = view.getFloat64(at, true);
    else if (dataType === ONNX_INT32) values[i] = view.getInt32(at, true);
    else values[i] = view.getInt32(at + 4, true) * 4294967296 + view.getUint32(at, true);
  }
  return values;
}

function readValueInfo(reader: ProtoReader): OnnxValueInfo {
  let name = '';
  let info: Omit<OnnxValueInfo, 'name'> = { kind: 'unknown', elemType: 0, dims: [] };
  while (reader.hasMore()) {
    const key = reader.readKey();
    if (fieldOf(key) === 1 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) name = reader.readString();
    else if (fieldOf(key) === 2 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) info = readType(reader.readMessage());
    else reader.skip(wireTypeOf(key));
  }
  return { name, ...info };
}

/** TypeProto: tensor_type (1), sequence_type (4), map_type (5). */
function readType(reader: ProtoReader): Omit<OnnxValueInfo, 'name'> {
  let info: Omit<OnnxValueInfo, 'name'> = { kind: 'unknown', elemType: 0, dims: [] };
  while (reader.hasMore()) {
    const key = reader.readKey();
    const field = fieldOf(key);
    if (field === 1 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) info = readTensorType(reader.readMessage());
    else if (field === 4 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) {
      reader.skip(WIRE_LENGTH_DELIMITED);
      info = { kind: 'sequence', elemType: 0, dims: [] };
    } else if (field === 5 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) {
      reader.skip(WIRE_LENGTH_DELIMITED);
      info = { kind: 'map', elemType: 0, dims: [] };
    } else reader.skip(wireTypeOf(key));
  }
  return info;
}

/** TypeProto.Tensor: elem_type (1), shape (2) of TensorShapeProto.Dimension (1): dim_value (1) | dim_param (2). */
function readTensorType(reader: ProtoReader): Omit<OnnxValueInfo, 'name'> {
  let elemType = 0;
  const dims: Array<number | string | undefined> = [];
  while (reader.hasMore()) {
    const key = reader.readKey();
    if (fieldOf(key) === 1 && wireTypeOf(key) === WIRE_VARINT) elemType = reader.readVarint();
    else if (fieldOf(key) === 2 && wireTypeOf(key) === WIRE_LENGTH_DELIMITED) {
      const shape = reader.readMessage();
      while (shape.hasMore()) {
        const shapeKey = shape.readKey();
        if (fieldOf(shapeKey) !== 1 || wireTypeOf(shapeKey) !== WIRE_LENGTH_DELIMITED) {
          shape.skip(wireTypeOf(shapeKey));
          continue;
        }
        const dimension = shape.readMessage();
        let dim: number | string | undefined;
        while (dimension.hasMore()) {
          const dimKey = dimension.readKey();
          if (fieldOf(dimKey) === 1 && wireTypeOf(dimKey) === WIRE_VARINT) dim = dimension.readInt64();
          else if (fieldOf(dimKey) === 2 && wireTypeOf(dimKey) === WIRE_LENGTH_DELIMITED) dim = dimension.readString();
          else dimension.skip(wireTypeOf(dimKey));
        }
        dims.push(dim);
      }
    } else reader.skip(wireTypeOf(key));
  }
  return { kind: 'tensor', elemType, dims };
}
